//! The WASM entry of the single-page app: mount `app::App` on the page.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::wasm_bindgen;

/// Room in the read-only data segment for wasm-split's re-layout.
///
/// `cargo leptos build --split` moves each lazy module's static data (its
/// text, tables, vtables) out of the main module by laying the segment out
/// again, one module after another, each part aligned. That can come out a
/// few bytes longer than the linker's packing, and then wasm-split keeps
/// the whole segment in the main module ("Overlong segment … putting it in
/// main module", wasm_split_cli_support 0.2.3, `emit.rs`). These bytes are
/// kept by the linker (`#[used]`) but referenced by nothing, so the
/// re-layout leaves them out and never runs past the original length.
#[used]
static SPLIT_LAYOUT_SLACK: [u8; 1024] = [0x5a; 1024];

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
