"""Settings, from the environment only.

With no variables set, the project runs embedded: SQLite, Celery tasks run eagerly in-process,
a local-memory cache and a local media folder. Setting DATABASE_URL, REDIS_URL (or
CELERY_BROKER_URL) and ELASTICSEARCH_URL (or OPENSEARCH_URL) switches to the real services.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.logs import logging_config

from .env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

# The embedded key is public: only DEBUG and the tests use it (config.env.refuse_embedded_secret_key).
EMBEDDED_SECRET_KEY = "insecure-embedded-default-change-me"  # noqa: S105 (public by design)
SECRET_KEY = env("DJANGO_SECRET_KEY", EMBEDDED_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
# A form sent after its page was open too long: a kind page in the site's language, not Django's.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "graphene_django",
    "core",
    "farmers",
    "shop",
    "promotion",
    "search",
    "payments",
    "impact",
    "demo",  # seeds the apps above, so it comes after them
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.CompressApiResponsesMiddleware",  # catalog: gzip for JSON, not for HTML pages
    "core.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.ChineseFirstForFarmerPagesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "seller:products"
LOGOUT_REDIRECT_URL = "shop:home"
# Pages for farmers and NGO officers: Chinese unless the person chose another language.
CHINESE_FIRST_PATHS = ("/accounts/", "/farmer/", "/ngo/")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "farmers.context_processors.roles",
                "promotion.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
# No broker configured: run tasks in-process, so the embedded mode needs no services.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
# `celery -A config beat` (docker-compose's beat service) runs these.
CELERY_BEAT_SCHEDULE = {
    "promotion-pace": {"task": "promotion.tasks.pace_campaigns", "schedule": 60.0},
    "promotion-reconcile": {"task": "promotion.tasks.reconcile_budgets", "schedule": 60.0},
    "promotion-feed-stats": {"task": "promotion.tasks.fold_feed_stats", "schedule": 300.0},
    "impact-rollup-refresh": {"task": "impact.tasks.refresh_rollup", "schedule": 60.0},
    "impact-rollup-rebuild": {"task": "impact.tasks.rebuild_rollup", "schedule": 24 * 3600.0},
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Search ---------------------------------------------------------------------------------
# Elasticsearch or OpenSearch when its URL is set (OpenSearch when both are); otherwise the
# database backend of the default connection.
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
OPENSEARCH_URL = env("OPENSEARCH_URL")
# Indices are named <prefix>-products-<version>, served through the alias <prefix>-products.
# The prefix and the timeout are the engine's, whichever engine it is.
ELASTICSEARCH_INDEX_PREFIX = env("ELASTICSEARCH_INDEX_PREFIX", "shanhuo")
ELASTICSEARCH_TIMEOUT = env_int("ELASTICSEARCH_TIMEOUT", 5)
# Search engines by name (core.registry): the class, and the keyword arguments it is built with.
# The shop searches `default`. DatabaseBackend is PostgreSQL or SQLite, by the vendor of its
# database (`using`). Another engine is a module in search/backends/ and an entry here.
DATABASE_SEARCH_BACKEND = {"BACKEND": "search.backends.database.DatabaseBackend", "OPTIONS": {"using": "default"}}
if OPENSEARCH_URL or ELASTICSEARCH_URL:
    SEARCH_BACKENDS = {
        "default": {
            "BACKEND": (
                "search.backends.opensearch.OpenSearchBackend"
                if OPENSEARCH_URL
                else "search.backends.elasticsearch.ElasticsearchBackend"
            ),
            "OPTIONS": {
                "url": OPENSEARCH_URL or ELASTICSEARCH_URL,
                "index_prefix": ELASTICSEARCH_INDEX_PREFIX,
                "timeout": ELASTICSEARCH_TIMEOUT,
            },
        }
    }
else:
    SEARCH_BACKENDS = {"default": DATABASE_SEARCH_BACKEND}
# With an engine as the default, the database backend is kept current beside it and answers the
# searches while the engine is down (search.fallback; `manage.py search_status` tells how often).
if SEARCH_BACKENDS["default"] != DATABASE_SEARCH_BACKEND:
    SEARCH_BACKENDS["fallback"] = DATABASE_SEARCH_BACKEND
# What the engine (or any backend) missed while down is indexed once it answers again.
CELERY_BEAT_SCHEDULE["search-catch-up"] = {"task": "search.tasks.catch_up_index", "schedule": 60.0}

# --- Promotion ------------------------------------------------------------------------------
# The ad load cap: one promoted slot in every FEED_PROMOTED_EVERY feed items (at least 2, so two
# promoted items are never next to each other).
FEED_PROMOTED_EVERY = env_int("FEED_PROMOTED_EVERY", 5)
if FEED_PROMOTED_EVERY < 2:
    raise ImproperlyConfigured("FEED_PROMOTED_EVERY must be 2 or more: promoted items are never adjacent.")
# Redis holds the live budget counters when REDIS_URL is set (a Lua check-and-debit); otherwise a
# conditional UPDATE in the database does. PROMOTION_BUDGET_BACKEND=database forces the latter.
PROMOTION_BUDGET_BACKEND = env("PROMOTION_BUDGET_BACKEND", "redis" if REDIS_URL else "database")
if PROMOTION_BUDGET_BACKEND not in ("redis", "database") or (PROMOTION_BUDGET_BACKEND == "redis" and not REDIS_URL):
    raise ImproperlyConfigured("PROMOTION_BUDGET_BACKEND is 'redis' (needs REDIS_URL) or 'database'.")

# The expected shape of feed traffic over a day in China, 24 comma-separated hourly weights
# (e.g. low at night): pacing plans each day's spend along it. Unset: an even plan.
PROMOTION_TRAFFIC_SHAPE = [float(weight) for weight in env_list("PROMOTION_TRAFFIC_SHAPE", "")] or None
if PROMOTION_TRAFFIC_SHAPE and (len(PROMOTION_TRAFFIC_SHAPE) != 24 or min(PROMOTION_TRAFFIC_SHAPE) < 0):
    raise ImproperlyConfigured("PROMOTION_TRAFFIC_SHAPE is 24 non-negative hourly weights.")
# Tests give each test a prefix of its own.
PROMOTION_REDIS_PREFIX = "shanhuo:promo"
# The longest each process keeps its index of running campaigns (rebuilt sooner when a campaign
# changes; budgets are always checked live).
PROMOTION_SERVING_INDEX_SECONDS = 60
# The most a process keeps the feed's ranking pool and rendered cards (promotion.feed_cache) when
# the catalogue's version has not moved: freshness and exploration move with time too.
PROMOTION_FEED_CACHE_SECONDS = 600

# A CJK font file for share posters (promotion.posters); unset, the usual places of Noto Sans CJK
# (Debian: apt-get install fonts-noto-cjk) are searched. Without one the poster page says so (503).
POSTER_FONT = env("POSTER_FONT", "")

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Raw uploads wait here for processing; never served, because they still carry EXIF/GPS.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")))
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Images ---------------------------------------------------------------------------------
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_THUMBNAIL_SIZES = {"small": 160, "medium": 480, "large": 1024}

# --- GraphQL --------------------------------------------------------------------------------
GRAPHENE = {"SCHEMA": "config.schema.schema", "RELAY_CONNECTION_MAX_LIMIT": 100}
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 12)
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 20_000)
GRAPHQL_MAX_QUERY_LENGTH = env_int("GRAPHQL_MAX_QUERY_LENGTH", 20_000)
# Apps sign in with `tokenCreate` and send `Authorization: Bearer <token>`; tokens last 30 days.
API_TOKEN_MAX_AGE = env_int("API_TOKEN_MAX_AGE", 30 * 24 * 3600)

# --- Payments -------------------------------------------------------------------------------
# Every gateway the site knows, by the name orders store (never rename one that was used); the
# first configured one is the default. A new gateway is a module and a line here (core.registry).
PAYMENT_GATEWAYS = {
    "stripe": {"BACKEND": "payments.gateways.stripe.StripeGateway"},
    "wechatpay": {"BACKEND": "payments.gateways.wechatpay.WeChatPayGateway"},
    "alipay": {"BACKEND": "payments.gateways.alipay.AlipayGateway"},
    "offline": {"BACKEND": "payments.gateways.offline.OfflineGateway"},
}
# How long a shopper has to pay an order through a provider (WeChat Pay's time_expire, Alipay's
# timeout_express) before it is closed and its stock returned (shop.tasks.cancel_unpaid_orders,
# every 5 minutes, for every gateway paid online; offline and cash on delivery never time out).
PAYMENT_TIMEOUT_MINUTES = env_int("PAYMENT_TIMEOUT_MINUTES", 30)
# WeChat Pay (API v3, direct merchant), see docs/wechatpay.md. Offered only when the merchant id,
# AppID, merchant certificate serial and private key, APIv3 key and notify origin are all set.
WECHATPAY_MCHID = env("WECHATPAY_MCHID", "")
WECHATPAY_APPID = env("WECHATPAY_APPID", "")
WECHATPAY_CERT_SERIAL_NO = env("WECHATPAY_CERT_SERIAL_NO", "")
WECHATPAY_PRIVATE_KEY_PATH = env("WECHATPAY_PRIVATE_KEY_PATH", "")
WECHATPAY_APIV3_KEY = env("WECHATPAY_APIV3_KEY", "")
# WeChat Pay's public key and its id (PUB_KEY_ID_…), for merchants in public-key mode; leave both
# empty to verify with platform certificates, downloaded from /v3/certificates and kept in CERT_DIR.
WECHATPAY_PUBLIC_KEY_PATH = env("WECHATPAY_PUBLIC_KEY_PATH", "")
WECHATPAY_PUBLIC_KEY_ID = env("WECHATPAY_PUBLIC_KEY_ID", "")
WECHATPAY_CERT_DIR = env("WECHATPAY_CERT_DIR", "")
# The https origin WeChat Pay posts notifies to, e.g. https://shanhuo.example.cn
WECHATPAY_NOTIFY_BASE = env("WECHATPAY_NOTIFY_BASE", "")
# Seconds to wait for WeChat Pay's API (connect and read) before giving up.
WECHATPAY_TIMEOUT = env_int("WECHATPAY_TIMEOUT", 10)
# Notifies signed longer ago than this (seconds) are refused, as WeChat Pay advises.
WECHATPAY_NOTIFY_TOLERANCE = env_int("WECHATPAY_NOTIFY_TOLERANCE", 300)
# Without STRIPE_SECRET_KEY only the offline method (cash on delivery, bank transfer) is offered.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
# Another API address (a test server such as localstripe); empty means Stripe's own.
STRIPE_API_BASE = env("STRIPE_API_BASE", "")
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)
# WeChat's web OAuth (core.wechat_oauth: a shopper's openid for JSAPI, a farmer's for payouts to
# their WeChat balance): the official account's AppID (the one WeChat Pay is bound to, so it defaults
# to WECHATPAY_APPID) and its AppSecret (公众号 → 设置与开发 → 基本配置).
WECHAT_APPID = env("WECHAT_APPID", "") or env("WECHATPAY_APPID", "")
WECHAT_APP_SECRET = env("WECHAT_APP_SECRET", "")
# An open WeChat Pay or Alipay payment whose notify has not come this long after it was opened is
# asked about at the provider (payments.tasks.check_pending_payments, every 2 minutes).
PAYMENT_QUERY_AFTER_MINUTES = env_int("PAYMENT_QUERY_AFTER_MINUTES", 3)
# Alipay (支付宝), public-key mode (docs/alipay.md): offered once the APPID, both key files and the
# notify origin are set. The key files hold PEM or the bare base64 Alipay's key tool prints.
ALIPAY_APP_ID = env("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY_PATH = env("ALIPAY_APP_PRIVATE_KEY_PATH", "")
ALIPAY_PUBLIC_KEY_PATH = env("ALIPAY_PUBLIC_KEY_PATH", "")
# The https origin Alipay posts its notifies to (…/payments/alipay/notify/ is added), e.g. https://shanhuo.example.cn
ALIPAY_NOTIFY_BASE = env("ALIPAY_NOTIFY_BASE", "")
# Alipay's production gateway; the sandbox's is https://openapi-sandbox.dl.alipaydev.com/gateway.do
ALIPAY_GATEWAY_URL = env("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do")
# Seconds to wait for Alipay's answer to a query, close or refund.
ALIPAY_TIMEOUT = env_int("ALIPAY_TIMEOUT", 10)
# The merchant's PID (2088…); when set, a notify for another seller is refused.
ALIPAY_SELLER_ID = env("ALIPAY_SELLER_ID", "")
# Mail (the order link a guest keeps): printed to the console unless a backend is configured,
# e.g. EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and friends.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Shanhuo <noreply@localhost>")
# Where shoppers' browsers load Stripe.js from; the tests point it at localstripe's copy.
STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# The account shoppers transfer to for offline payment, as printed on their order page: bank, name,
# number on one line, e.g. "中国农业银行 · 某某县山货合作社 · 6228 4800 0000 0000 000". Empty: the
# page offers cash on delivery only.
OFFLINE_BANK_ACCOUNT = env("OFFLINE_BANK_ACCOUNT", "")
# The platform's fee on goods (not shipping), in percent; "0" by default, e.g. "2.5".
PLATFORM_FEE_PERCENT = env("PLATFORM_FEE_PERCENT", "0")
# Payouts (payments.payouts): a seller is paid for a parcel this many days after it was delivered
# (time for the shopper to complain), and only once at least this much (CNY) is due.
PAYOUT_HOLD_DAYS = env_int("PAYOUT_HOLD_DAYS", 7)
PAYOUT_MINIMUM = env("PAYOUT_MINIMUM", "50.00")
# How payouts reach sellers (payments.payout_methods): the first configured method that reaches a
# seller is used; Stripe Connect needs STRIPE_SECRET_KEY and the seller's acct_… id; the bank
# transfer (made by hand, recorded by an operator) reaches everyone, so it comes last.
PAYOUT_METHODS = {
    "wechat_transfer": {"BACKEND": "payments.payout_methods.wechat_transfer.WeChatTransfer"},
    "stripe_connect": {"BACKEND": "payments.payout_methods.stripe_connect.StripeConnect"},
    "bank_transfer": {"BACKEND": "payments.payout_methods.bank.BankTransfer"},
}
# Payouts to a farmer's WeChat balance (商家转账, payments.payout_methods.wechat_transfer; see
# docs/payouts.md): only when the operator turns them on, WeChat Pay's merchant keys above are set,
# and WeChat Pay granted the 商家转账 product with a transfer scene: its id, and the scene's report
# infos as WeChat Pay's docs list them for that scene, as JSON, e.g.
# [{"info_type": "岗位类型", "info_content": "农产品供货"}, {"info_type": "报酬说明", "info_content": "山货货款"}].
WECHATPAY_PAYOUTS_ENABLED = env_bool("WECHATPAY_PAYOUTS_ENABLED", False)
WECHATPAY_TRANSFER_SCENE_ID = env("WECHATPAY_TRANSFER_SCENE_ID", "")
WECHATPAY_TRANSFER_REPORT_INFOS = env("WECHATPAY_TRANSFER_REPORT_INFOS", "[]")
# What the farmer sees as the reason of the money (user_recv_perception; empty: the scene's own).
WECHATPAY_TRANSFER_PERCEPTION = env("WECHATPAY_TRANSFER_PERCEPTION", "")
# The largest payout (CNY) sent to a WeChat balance, as set in 商家转账 → 产品设置 (单笔限额); a larger
# one goes by the next method (the bank). Empty: no limit of ours.
WECHATPAY_TRANSFER_MAX = env("WECHATPAY_TRANSFER_MAX", "")
# Starts every out_bill_no: give each database sharing one merchant id its own (staging, production).
WECHATPAY_OUT_BILL_PREFIX = env("WECHATPAY_OUT_BILL_PREFIX", "SHP")
# The payout run (payments.tasks.run_payouts): weekly, on this day ("mon" … "sun", or 0-6 with
# 0 = Sunday) at this hour, Asia/Shanghai time (CELERY_TIMEZONE); after the night, before banks open.
PAYOUT_RUN_WEEKDAY = env("PAYOUT_RUN_WEEKDAY", "mon")
PAYOUT_RUN_HOUR = env_int("PAYOUT_RUN_HOUR", 3)
CELERY_BEAT_SCHEDULE["payouts-run"] = {
    "task": "payments.tasks.run_payouts",
    "schedule": crontab(minute=0, hour=PAYOUT_RUN_HOUR, day_of_week=PAYOUT_RUN_WEEKDAY),
}
# Payouts a method sends itself (Stripe Connect) whose send was lost (broker down at commit, a
# worker killed): sent again, with the same idempotency key.
CELERY_BEAT_SCHEDULE["payouts-send-unsent"] = {"task": "payments.tasks.send_unsent_payouts", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["payments-check-pending"] = {"task": "payments.tasks.check_pending_payments", "schedule": 120.0}
CELERY_BEAT_SCHEDULE["refunds-check-pending"] = {"task": "payments.tasks.check_pending_refunds", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["orders-cancel-unpaid"] = {"task": "shop.tasks.cancel_unpaid_orders", "schedule": 300.0}
# Settlement (payments.settlement): each day the providers' bills of the day before are downloaded
# and their fees booked, once the bills are ready (WeChat Pay after 10:00, Alipay the next day,
# advised after 10:00), China time. A provider that is not configured is skipped.
CELERY_BEAT_SCHEDULE["settlement-wechatpay"] = {
    "task": "payments.tasks.import_settlements",
    "schedule": crontab(minute=30, hour=10),
    "args": ("wechatpay",),
}
CELERY_BEAT_SCHEDULE["settlement-alipay"] = {
    "task": "payments.tasks.import_settlements",
    "schedule": crontab(minute=0, hour=11),
    "args": ("alipay",),
}
# Payouts a provider took and finishes later (a WeChat transfer waiting for the farmer to confirm
# receipt): asked about this often (seconds), in case its notify never comes.
PAYOUT_CHECK_SECONDS = env_int("PAYOUT_CHECK_SECONDS", 900)
CELERY_BEAT_SCHEDULE["payouts-check-in-flight"] = {
    "task": "payments.tasks.check_payouts_in_flight",
    "schedule": float(PAYOUT_CHECK_SECONDS),
}

# --- tasks: the outbox, and tasks lost with their worker ---
# Tasks asked for by a change are written in its transaction (core.outbox) and sent after the
# commit; what the broker could not take then is sent by beat every OUTBOX_DRAIN_SECONDS, once older
# than OUTBOX_GRACE_SECONDS (a younger one is still being sent by its own commit).
OUTBOX_DRAIN_SECONDS = env_int("OUTBOX_DRAIN_SECONDS", 30)
OUTBOX_GRACE_SECONDS = env_int("OUTBOX_GRACE_SECONDS", 10)
CELERY_BEAT_SCHEDULE["outbox-drain"] = {"task": "core.tasks.drain_outbox", "schedule": float(OUTBOX_DRAIN_SECONDS)}
# A task taken by a worker that died (kill -9, OOM, a lost machine) is given to another worker
# CELERY_VISIBILITY_TIMEOUT seconds after it was taken (kombu's default: 3,600). It must be longer
# than the longest task, or a task still running is started again beside itself: the longest are
# the nightly roll-up rebuild and a payout run, minutes each (docs/decisions.md, tasks). A retry's
# countdown must be shorter too (a message waiting for its ETA is unacknowledged), so no task's
# retry waits longer than 600 s (Celery's default cap of retry_backoff). Redis is scanned for such messages every
# CELERY_UNACKED_RESTORE_SECONDS. Connecting and each command to the broker time out, so that a
# publish to a broker gone silent fails (and the outbox keeps the task) instead of hanging.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_SECONDS", 30),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
    # A publish tries to connect once (kombu's default: again and again for 4 s): with the broker
    # down, the request answers at once and the outbox keeps the task. A worker reconnects on its
    # own terms (broker_connection_max_retries).
    "max_retries": 0,
}
# After a failed send, a process keeps the tasks it is asked for in the outbox without trying the
# broker for this long (each try costs the caller a connection attempt).
OUTBOX_BROKER_PAUSE_SECONDS = env_int("OUTBOX_BROKER_PAUSE_SECONDS", 10)
# --- saleor: Saleor's tokens and storefront origins (issue 19) ---
# `tokenCreate` answers as Saleor does (core.graphql.jwt_tokens): a JWT access token that lasts
# JWT_ACCESS_TTL seconds (Saleor's 5 minutes) and a refresh token that lasts JWT_REFRESH_TTL
# (30 days), signed with JWT_SECRET_KEY (SECRET_KEY unless set: one secret to keep by default).
# JWT_ISSUER is the API's public URL, written in each token's `iss`; the SDK sends a token only to
# that URL. Unset, it is the URL the request came to (…/graphql/); set it behind a proxy that
# rewrites the host or scheme.
JWT_SECRET_KEY = env("JWT_SECRET_KEY", "") or SECRET_KEY
JWT_ACCESS_TTL = env_int("JWT_ACCESS_TTL", 5 * 60)
JWT_REFRESH_TTL = env_int("JWT_REFRESH_TTL", 30 * 24 * 3600)
JWT_ISSUER = env("JWT_ISSUER", "")
# Storefronts on other origins (a Next.js shop built on Saleor's SDK) may call /graphql/ from the
# browser: their origins, e.g. https://shop.example.cn. No cookies cross origins (the app sends
# `Authorization: Bearer`), so a cross-origin request never carries the session.
INSTALLED_APPS.append("corsheaders")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"), "corsheaders.middleware.CorsMiddleware"
)
CORS_ALLOWED_ORIGINS = env_list("STOREFRONT_ORIGINS", "")
CORS_URLS_REGEX = r"^/graphql/$"
CORS_ALLOW_CREDENTIALS = False
# --- ops: logs, metrics, error reports (README: "Operating the site") ---
# LOG_FORMAT=json: one JSON object a line (docker-compose); text (the default) for a developer.
# Every line carries the request id (core.request_ids), in tasks too.
LOGGING = logging_config(env("LOG_FORMAT", "text"), env("LOG_LEVEL", "INFO"))
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, there is no /metrics (404).
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself) collects gunicorn's workers' samples.
METRICS_TOKEN = env("METRICS_TOKEN", "")
# Errors go to Sentry when a DSN is set (core.sentry); nothing is loaded otherwise.
SENTRY_DSN = env("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
if SENTRY_DSN:
    from core.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- guard: production security (HTTPS, cookies, secret key, CSP) and the rate limits' fallback ---
# When DEBUG is off the site is taken to be served over HTTPS: every variable below defaults to the
# safe value, and a deployment served over plain HTTP (docker-compose on 127.0.0.1, a demo) turns
# them off one by one. Behind a TLS-terminating proxy, name the header it sets for HTTPS requests
# (e.g. DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https), or the redirect loops; the
# proxy must then overwrite that header on every request, never pass the client's own.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# A year, as hstspreload.org asks; preloading (a promise browsers ship with) only when asked for.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
_proxy_ssl_header = env_list("DJANGO_SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_PROXY_SSL_HEADER is a header and its value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None
# Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware): scripts from this
# site, inline ones only with the page's nonce; Stripe's script, frames and API (and the origin
# STRIPE_JS_URL names, localstripe's in tests) for card payments. Inline styles stay allowed: the
# pages set a few style attributes, and a style cannot run code. DJANGO_CSP_REPORT_ONLY=1 sends the
# policy as Content-Security-Policy-Report-Only (to try a change on a live site first).
CSP_REPORT_ONLY = env_bool("DJANGO_CSP_REPORT_ONLY", False)
MIDDLEWARE += ["core.middleware.ContentSecurityPolicyMiddleware"]
# The rate limits' fallback while the cache (Redis) is down (core.ratelimit.LocalCounters): each
# web process counts alone with its share of every limit, the limit divided by this number of
# processes (gunicorn's workers), rounded up.
RATELIMIT_FALLBACK_PROCESSES = env_int("RATELIMIT_FALLBACK_PROCESSES", 3)
if REDIS_URL:  # a Redis that does not answer must fail fast, so that the fallbacks can step in
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 2, "socket_timeout": 2})

# --- input: bounds on what a GraphQL request may send ---
# A JSON (or application/graphql) body larger than this is refused with a 413 before it is decoded;
# the largest field we accept (a story's 20,000 characters, escaped) needs far less.
GRAPHQL_MAX_BODY_BYTES = env_int("GRAPHQL_MAX_BODY_BYTES", 1024 * 1024)
# Objects and lists in a request nested deeper than this are refused (a product's input nests 5).
GRAPHQL_MAX_JSON_DEPTH = env_int("GRAPHQL_MAX_JSON_DEPTH", 32)
# Queries are refused, before the (possibly quadratic) validation, when they have more lexical
# tokens than this (GraphiQL's schema query has about 200, the largest of ours about 120)...
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)
# ...or select one field (or spread one fragment) more than this many times in one place.
GRAPHQL_MAX_REPEATS = env_int("GRAPHQL_MAX_REPEATS", 20)
