package shanhuo.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node for the test run, in this JVM: HTTP on 127.0.0.1 at a free port, data in a
 * temporary directory that is deleted when the node stops.
 *
 * <p>Usage: {@code TestNode [http-port]} (0, the default: any free port). Prints
 * {@code SHANHUO_ENGINE_URL=http://127.0.0.1:<port>} on stdout once HTTP answers, and
 * stops when stdin closes (the Python process that started it ended, however it ended) or on
 * SIGTERM. The modules are loaded from the classpath as plugins: netty4 (HTTP), analysis-common
 * (the {@code cjk} analyzer), mapper-extras ({@code scaled_float}) and reindex
 * ({@code _delete_by_query}).
 */
public final class TestNode {

    static final String READY_PREFIX = "SHANHUO_ENGINE_URL=";

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        MapperExtrasPlugin.class,
        ReindexPlugin.class
    );

    /** Node's constructor that takes classpath plugins is protected: this is the way in. */
    static final class PluginNode extends Node {
        PluginNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private TestNode() {}

    public static void main(String[] args) throws Exception {
        Path home = Files.createTempDirectory("shanhuo-engine-");
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
            .put("cluster.name", "shanhuo-test")
            .put("node.name", "shanhuo-test")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", args.length > 0 ? args[0] : "0")
            .put("transport.port", "0")
            .put("discovery.type", "single-node")
            // A test machine's disk may be nearly full: never turn indices read-only for that.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // A small heap: trip breakers on what requests hold, not on the whole heap's usage.
            .put("indices.breaker.total.use_real_memory", false)
            .build();
        // Registered first: the temporary directory goes even when the node fails to start.
        AtomicReference<Node> started = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(started.get(), home), "shanhuo-engine-stop"));

        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "shanhuo-test");
        Node node = new PluginNode(environment, PLUGINS);
        started.set(node);
        node.start();
        TransportAddress address = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        System.out.println(READY_PREFIX + "http://" + address.getAddress() + ":" + address.getPort());
        System.out.flush();

        // Whoever started us holds our stdin: its end (EOF) is our end.
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        while (in.read(buffer) != -1) {
            // Nothing is read from stdin; it only tells us when to stop.
        }
        System.exit(0); // runs the shutdown hook
    }

    private static void stop(Node node, Path home) {
        try {
            if (node != null) {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("shanhuo test engine: stopping failed: " + e);
        } finally {
            delete(home);
        }
    }

    private static void delete(Path home) {
        try (Stream<Path> paths = Files.walk(home)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("shanhuo test engine: could not delete " + home + ": " + e);
        }
    }
}
