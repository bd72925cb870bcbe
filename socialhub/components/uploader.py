"""The Library's uploader: drop or pick files, see them listed, upload them with a progress
bar per file, then each file's own check result."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_core.core.upload import get_upload_files_context_var_data

from socialhub.state.library import UPLOAD_ID, LibraryState, UploadRow

# The files chosen or dropped, not yet sent: name, size and where each starts in the request.
SELECTED = rx.Var(
    _js_expr=(
        f"(filesById['{UPLOAD_ID}'] ?? []).map((f, i, all) => ({{name: f.name, size: Math.max(f.size, 1), "
        "start: all.slice(0, i).reduce((a, g) => a + g.size, 0)}))"
    ),
    _var_type=list[dict[str, Any]],
    _var_data=get_upload_files_context_var_data(),
).guess_type()
ACCEPT = {
    "image/jpeg": [".jpg", ".jpeg"],
    "image/png": [".png"],
    "image/gif": [".gif"],
    "image/webp": [".webp"],
    "video/mp4": [".mp4"],
    "video/quicktime": [".mov"],
    "video/webm": [".webm"],
}


def _upload_row(row: UploadRow) -> rx.Component:
    return rx.hstack(
        rx.icon(
            rx.match(row.state, ("stored", "circle_check"), ("rejected", "circle_x"), "loader"),
            size=16,
            color=rx.color(rx.match(row.state, ("stored", "green"), ("rejected", "red"), "gray"), 11),  # type: ignore[arg-type]
            flex_shrink="0",
        ),
        rx.text(row.name, size="2", weight="medium", min_width="140px", trim="both"),
        rx.cond(
            row.state == "checking",
            rx.progress(value=LibraryState.upload_progress, max=100, width="160px"),
        ),
        rx.text(row.message, size="1", color_scheme=rx.cond(row.state == "rejected", "red", "gray")),
        align="center",
        spacing="3",
        width="100%",
        data_testid="upload-row",
    )


def _selected_row(f) -> rx.Component:
    start, size = f["start"].to(int), f["size"].to(int)
    sent = (LibraryState.upload_loaded - start) * 100 / size
    pct = rx.cond(sent > 100, 100, rx.cond(sent < 0, 0, sent))
    return rx.hstack(
        rx.icon("file", size=16, color=rx.color("gray", 10), flex_shrink="0"),
        rx.text(f["name"].to(str), size="2", weight="medium", min_width="140px", trim="both"),
        rx.progress(value=pct.to(int), max=100, width="200px", aria_label="Upload progress"),
        align="center",
        spacing="3",
        width="100%",
        data_testid="selected-file",
    )


def uploader() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.upload.root(
                rx.vstack(
                    rx.icon("cloud_upload", size=28, color=rx.color("accent", 10)),
                    rx.text(
                        "Drop images and videos here, or ",
                        rx.text.span("choose files", color=rx.color("accent", 11), weight="bold"),
                        size="2",
                    ),
                    rx.text(
                        "JPEG, PNG, GIF, WebP, MP4, MOV or WebM. Each file is checked before it is kept.",
                        size="1",
                        color_scheme="gray",
                    ),
                    align="center",
                    spacing="1",
                ),
                id=UPLOAD_ID,
                multiple=True,
                accept=ACCEPT,
                border=f"2px dashed {rx.color('accent', 7)}",
                border_radius="12px",
                padding="5",
                width="100%",
                cursor="pointer",
            ),
            rx.hstack(
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(checked=LibraryState.as_carousel, on_change=LibraryState.set_as_carousel),
                        rx.text("Put the files of one drop into one carousel item", size="1"),
                        spacing="2",
                        align="center",
                    )
                ),
                rx.spacer(),
                rx.cond(
                    LibraryState.upload_rows.length() > 0,
                    rx.button("Clear list", size="1", variant="ghost", on_click=LibraryState.clear_uploads),
                ),
                width="100%",
            ),
            rx.cond(
                SELECTED.length() > 0,
                rx.vstack(
                    rx.foreach(SELECTED, _selected_row),
                    rx.hstack(
                        rx.button(
                            rx.icon("upload", size=14),
                            "Upload ",
                            SELECTED.length(),
                            " file(s)",
                            loading=LibraryState.uploading,
                            on_click=LibraryState.handle_upload(
                                rx.upload_files(
                                    upload_id=UPLOAD_ID, on_upload_progress=LibraryState.upload_progressed
                                )
                            ),
                        ),  # fmt: skip
                        rx.button(
                            "Clear selection",
                            variant="soft",
                            color_scheme="gray",
                            on_click=rx.clear_selected_files(UPLOAD_ID),
                            disabled=LibraryState.uploading,
                        ),  # fmt: skip
                        spacing="2",
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.foreach(LibraryState.upload_rows, _upload_row),
            spacing="3",
            width="100%",
        ),
        width="100%",
        margin_bottom="4",
    )
