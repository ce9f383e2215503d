// Where the shared golden vectors live: QUELL_VECTORS, or ../shared/vectors beside the repository.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The `vectors` directory (holding `pdq/`). */
export function vectorsDir(): string {
  const dir = process.env.QUELL_VECTORS ?? resolve(here, "../../../shared/vectors");
  if (!existsSync(join(dir, "pdq", "expected.tsv"))) {
    throw new Error(`no PDQ vectors at ${dir}/pdq (set QUELL_VECTORS to the shared vectors directory)`);
  }
  return dir;
}

/** Rows of a TSV file with a header line, as objects keyed by column name. */
export function readTsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, "utf8").trimEnd().split("\n");
  const names = header.split("\t");
  return lines.map((line) => Object.fromEntries(line.split("\t").map((v, i) => [names[i], v])));
}
