// Bundles web/hlsjs-entry.js (hls.js's transmuxer without its player) into
// .cache/web/hlsjs-bench.js. hls.js's TypeScript sources are compiled to ES5 by
// TypeScript, as its dist is compiled to ES5 (by babel), so the code measured is the kind
// of code its users run; esbuild only bundles and minifies. Its build-time constants
// are those of its full build (hls.js / hls.min.js).
import { build } from 'esbuild';
import ts from 'typescript';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const here = import.meta.dirname;
const hlsSrc = join(here, 'node_modules', 'hls.js', 'src');
const pkg = JSON.parse(await readFile(join(here, 'node_modules', 'hls.js', 'package.json'), 'utf8'));

const es5LikeTheDist = {
  name: 'hlsjs-es5',
  setup(b) {
    b.onLoad({ filter: /\.(js|ts)$/ }, async (args) => {
      if (!args.path.startsWith(hlsSrc)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const out = ts.transpileModule(source, {
        fileName: args.path,
        compilerOptions: {
          target: ts.ScriptTarget.ES5,
          module: ts.ModuleKind.ES2015,
          downlevelIteration: true,
          importHelpers: false,
        },
      });
      return { contents: out.outputText, loader: 'js' };
    });
  },
};

const flag = (b) => JSON.stringify(b);
await build({
  entryPoints: [join(here, 'web', 'hlsjs-entry.js')],
  outfile: join(here, '.cache', 'web', 'hlsjs-bench.js'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  define: {
    __VERSION__: JSON.stringify(pkg.version),
    __USE_ALT_AUDIO__: flag(true),
    __USE_EME_DRM__: flag(true),
    __USE_SUBTITLES__: flag(true),
    __USE_CMCD__: flag(true),
    __USE_CONTENT_STEERING__: flag(true),
    __USE_VARIABLE_SUBSTITUTION__: flag(true),
    __USE_M2TS_ADVANCED_CODECS__: flag(true),
    __USE_MEDIA_CAPABILITIES__: flag(true),
    __USE_INTERSTITIALS__: flag(true),
    __USE_IFRAMES__: flag(true),
    __IN_WORKER__: flag(false),
  },
  plugins: [es5LikeTheDist],
  logLevel: 'warning',
});
