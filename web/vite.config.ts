// Builds the page into dist/ with fixed file names (no content hashes), so the output is
// deterministic, can be committed and embedded in the `quell` binary by a fixed list of files.
import { defineConfig } from "vite";

const names = {
  entryFileNames: "assets/[name].js",
  chunkFileNames: "assets/[name].js",
  assetFileNames: "assets/[name][extname]",
};

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    assetsInlineLimit: 0,
    rollupOptions: { output: names },
  },
  worker: {
    format: "es",
    rollupOptions: { output: names },
  },
});
