// The bridge type for every project that compiles the renderer: tsconfig.test.json also sees
// src/preload/index.ts, which hides index.d.ts unless it is referenced by path.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- a global declaration file, not a module
/// <reference path="../../preload/index.d.ts" />
