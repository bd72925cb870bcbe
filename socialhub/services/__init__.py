"""Plain-Python business logic: no Reflex import; the UI and the workers both call it."""
