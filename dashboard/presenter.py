"""For talks and classes: keyboard shortcuts, and a presenter mode (large type, no sidebar).

The shortcuts work in both modes. They press the page's own buttons, so a key does exactly
what a click does; keys typed into a text or number field are left alone.
"""

from __future__ import annotations

import json

import streamlit as st

PRESENT_KEY = "present"  # session state (and URL: ?present=1): presenter mode on
FONT_SCALE = 1.5  # chart text in presenter mode, times the usual size
# key -> the widget key of the button it presses (the presenter toggle is a button too)
SHORTCUTS: dict[str, tuple[str, str]] = {
    " ": ("play", "play / pause"),
    "d": ("d_step", "one D step"),
    "g": ("g_step", "one G step"),
    "i": ("iteration", "one iteration (k D steps, then G)"),
    "n": ("narrate_next", "next sub-step of the narrated iteration"),
    "r": ("reset", "reset"),
    "p": ("presenter", "presenter mode on / off"),
}

_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] { display: none !important; }
.stMainBlockContainer, .block-container { max-width: 100% !important; padding: 1rem 2.5rem !important; }
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer label,
.stMainBlockContainer button, [data-testid="stCaptionContainer"] { font-size: 1.45rem !important; }
.stMainBlockContainer h1 { font-size: 3rem !important; }
.stMainBlockContainer button { min-height: 3.2rem; }
</style>
"""


def _shortcut_script() -> str:
    keys = {key: widget for key, (widget, _) in SHORTCUTS.items()}
    return f"""
<script>
(() => {{
  const keys = {json.dumps(keys)};
  const doc = window.parent ? window.parent.document : document;
  if (doc.ganlabKeys) doc.removeEventListener("keydown", doc.ganlabKeys);
  doc.ganlabKeys = (event) => {{
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const t = event.target;
    const field = t && t.tagName === "INPUT" && !["checkbox", "radio", "button", "range"].includes(t.type);
    const typing = t && (field || t.isContentEditable || ["TEXTAREA", "SELECT"].includes(t.tagName));
    const widget = keys[event.key.toLowerCase()];
    if (typing || !widget) return;
    event.preventDefault();  // space must not scroll the page
    // During a rerun the button may be briefly stale or disabled: try again for up to 2 s,
    // so that a key pressed at that moment is not lost.
    const press = (tries) => {{
      const button = [...doc.querySelectorAll(`.st-key-${{widget}} button`)]
        .find((b) => b.offsetParent !== null && !b.disabled);
      if (button) button.click();
      else if (tries > 0) setTimeout(() => press(tries - 1), 100);
    }};
    press(20);
  }};
  doc.addEventListener("keydown", doc.ganlabKeys);
}})();
</script>
"""


def toggle_presenter() -> None:
    st.session_state[PRESENT_KEY] = not st.session_state.get(PRESENT_KEY, False)


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def font_scale() -> float:
    """How much larger chart text is drawn now (1 outside presenter mode)."""
    return FONT_SCALE if presenting() else 1.0


def presenter_ui() -> None:
    """The shortcuts' listener, the presenter button, and presenter mode's styles when on."""
    st.html(_shortcut_script(), unsafe_allow_javascript=True)
    if presenting():
        st.html(_CSS)
    help_text = "Keyboard: " + " · ".join(
        f"{'space' if k == ' ' else k.upper()} {what}" for k, (_, what) in SHORTCUTS.items()
    )
    st.button(
        ":material/close_fullscreen: Exit presenter" if presenting() else ":material/co_present: Present",
        key="presenter",
        on_click=toggle_presenter,
        help="Large type and no sidebar, for a projector. " + help_text,
    )
