// node-forge's browser build (dist/forge.all.min.js) includes its jQuery-based XHR and form helpers, which read
// the global `jQuery` when the bundle loads. The page uses only forge's ASN.1 and PKCS#12 parsing, so an empty
// global binding is all those helpers need to load; they are never called.
var jQuery;
