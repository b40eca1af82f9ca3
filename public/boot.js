// Loads the WebAssembly app. Kept out of index.html so the Content Security
// Policy can forbid inline scripts.
import init from '/pkg/rollcall.js';

// A signed-in screen opened by its address (a bookmark, a reload) needs the
// frame's module and its area's before it can draw: fetch them now, beside
// the main module, instead of one after the other once the app runs. Each
// area's files, as chunk-number ranges, are written here by `cargo xtask
// site` from the split manifest; the sign-in page ("/") fetches none.
const AREAS = {/* split areas */};
const SCREENS = {
  accounts: 'accounts', groups: 'access', forms: 'access', license: 'license',
  audit: 'audit', clients: 'settings', settings: 'settings', password: 'password',
};
const area = SCREENS[location.pathname.split('/')[1]];
if (area && AREAS.frame && AREAS[area]) {
  const files = new Set(['split_frame', `split_${area}`]);
  for (const ranges of [AREAS.frame, AREAS[area]]) {
    for (const range of ranges.split(',')) {
      const [from, to = from] = range.split('-').map(Number);
      for (let n = from; n <= to; n++) files.add(`chunk_${n}`);
    }
  }
  // The build's folder, where the main script is.
  const folder = new URL('./', new URL('/pkg/rollcall.js', location.href)).pathname;
  for (const file of files) {
    const link = document.createElement('link');
    link.rel = 'preload';
    link.as = 'fetch';
    link.crossOrigin = 'anonymous';
    link.href = `${folder}${file}.wasm`;
    document.head.append(link);
  }
}
init({ module_or_path: '/pkg/rollcall.wasm' });
