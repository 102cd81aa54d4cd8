// Bundles web/mpegts-entry.js (mpegts.js's transmuxer without its player) into
// .cache/web/mpegts-bench.js. mpegts.js's sources are compiled by TypeScript to ES5
// with its own tsconfig options, as its webpack build (ts-loader) makes its dist, so
// the code measured is the code its users run; esbuild only bundles and minifies.
import { build } from 'esbuild';
import ts from 'typescript';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const here = import.meta.dirname;
const mpegtsSrc = join(here, 'node_modules', 'mpegts.js', 'src');
const pkg = JSON.parse(await readFile(join(here, 'node_modules', 'mpegts.js', 'package.json'), 'utf8'));

const es5LikeTheDist = {
  name: 'mpegts-es5',
  setup(b) {
    b.onLoad({ filter: /\.(js|ts)$/ }, async (args) => {
      if (!args.path.startsWith(mpegtsSrc)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const out = ts.transpileModule(source, {
        fileName: args.path,
        compilerOptions: {
          target: ts.ScriptTarget.ES5,
          module: ts.ModuleKind.ES2015,
          allowJs: true,
          experimentalDecorators: true,
        },
      });
      return { contents: out.outputText, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [join(here, 'web', 'mpegts-entry.js')],
  outfile: join(here, '.cache', 'web', 'mpegts-bench.js'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  plugins: [es5LikeTheDist],
  logLevel: 'warning',
});
