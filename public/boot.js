// Loads the WebAssembly app. Kept out of index.html so the Content Security
// Policy can forbid inline scripts.
import init from '/pkg/rollcall.js';
init({ module_or_path: '/pkg/rollcall.wasm' });
