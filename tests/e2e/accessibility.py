"""Accessibility checks for browser tests: what a page must pass before a journey moves on.

- `assert_accessible(page, name, output_dir=None)`: axe-core (Deque's rules engine, vendored in
  vendor/ by scripts/vendor_axe.sh) run on the page against WCAG 2.0 and 2.1, levels A and AA; fails
  on every violation axe rates serious or critical (contrast, names of controls, language ...),
  listing each rule and the elements breaking it. Minor and moderate findings are in the JSON report
  written to `output_dir`, not failures.
- `assert_inputs_labelled(page)`: every visible form field has a name from a <label> (or
  aria-label / aria-labelledby); a placeholder is not a label: it goes when the shopper types.
- `assert_touch_targets(page, minimum=44)`: every visible button, field, select, button-like link
  and navigation link is at least 44 × 44 CSS px, the size a thumb hits on a cheap phone (WCAG
  2.5.5, AAA; axe's own `target-size` asks only 24). A checkbox or radio is tapped through its
  label, so the label's box counts.

They check the page as it is drawn now: call them after the page has loaded and settled.
"""

import json
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"""

# Shared by the two DOM checks: drawn at all (a 1×1 px "visually hidden" label is not a target).
VISIBLE = """
const visible = el => {
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && style.display !== 'none';
};
const describe = el => {
  const fields = ['INPUT', 'SELECT', 'TEXTAREA'], pressed = ['submit', 'button', 'reset', 'image'];
  const label = Array.from(el.labels || []).map(l => l.innerText).join(' ');
  const text = el.tagName === 'INPUT' && pressed.includes(el.type) ? el.value
    : fields.includes(el.tagName) ? label || el.getAttribute('aria-label') || el.placeholder || el.name
    : el.innerText || el.getAttribute('aria-label');
  const id = el.id ? '#' + el.id : '';
  const type = el.tagName === 'INPUT' || el.tagName === 'BUTTON' ? `[type=${el.type}]` : '';
  return `<${el.tagName.toLowerCase()}${id}${type}> "${(text || '').trim().slice(0, 40)}"`;
};
"""

UNLABELLED = (
    """() => {"""
    + VISIBLE
    + """
  const text = el => (el && el.textContent || '').trim();
  const named = el => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (ids.some(id => text(document.getElementById(id)))) return true;
    return Array.from(el.labels || []).some(label => text(label));
  };
  const fields = document.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea');
  return Array.from(fields).filter(el => visible(el) && !named(el)).map(describe);
}"""
)

SMALL_TARGETS = (
    """minimum => {"""
    + VISIBLE
    + """
  const targets = document.querySelectorAll(
    'button, input:not([type=hidden]), select, a.button, [role=button], nav a, header a');
  const small = [];
  for (const el of targets) {
    let box;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const labels = Array.from(el.labels || []).filter(visible);
      if (!labels.length && !visible(el)) continue;
      const boxes = labels.length ? labels.map(label => label.getBoundingClientRect()) : [el.getBoundingClientRect()];
      box = boxes.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
    } else {
      if (!visible(el)) continue;
      box = el.getBoundingClientRect();
    }
    // Sub-pixel layout: 43.99 px is 44 px on the screen.
    if (Math.round(box.width) < minimum || Math.round(box.height) < minimum) {
      small.push(`${describe(el)}: ${Math.round(box.width)}×${Math.round(box.height)} px`);
    }
  }
  return small;
}"""
)


def run_axe(page) -> dict:
    """axe's full results for the page (injected once per document)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's tools, which the page's Content-Security-Policy allows; an
        # added <script> tag without the page's nonce it refuses, as it should.
        page.evaluate(AXE.read_text())
    return page.evaluate(RUN_AXE, WCAG_A_AA)


def assert_accessible(page, name: str, output_dir: Path | None = None) -> dict:
    """Fail on every serious or critical WCAG 2 A/AA violation axe finds in the page; returns axe's
    results, also written to `output_dir`/axe-<name>.json when a folder is given."""
    results = run_axe(page)
    if output_dir is not None:
        Path(output_dir, f"axe-{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    failing = [violation for violation in results["violations"] if violation["impact"] in FAILING_IMPACTS]
    report = []
    for violation in failing:
        targets = [
            ", ".join(" ".join(part) if isinstance(part, list) else part for part in node["target"])
            for node in violation["nodes"]
        ]
        report.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n    " + "\n    ".join(targets)
        )
    assert not failing, f"{name} ({page.url}): accessibility violations\n" + "\n".join(report)
    return results


def assert_inputs_labelled(page) -> None:
    """Every visible input (but hidden and submit), select and textarea has a label's, aria-label's
    or aria-labelledby's name."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"{page.url}: fields without a label:\n- " + "\n- ".join(unlabelled)


def assert_touch_targets(page, minimum: int = 44) -> None:
    """Every visible button, input, select, a.button and header or nav link is `minimum` CSS px
    wide and high or more (a checkbox or radio: its label)."""
    small = page.evaluate(SMALL_TARGETS, minimum)
    assert not small, f"{page.url}: touch targets under {minimum}×{minimum} px:\n- " + "\n- ".join(small)
