// AssemblyScript to bytes, in memory: the one compile step of build-filters.mjs and
// build-extism-plugin.mjs (both scripts build on import, so this lives apart).
import asc from 'assemblyscript/asc';

/** Compiles `src` with the asc flags `args`; resolves with the module's bytes, or throws with asc's messages. */
export async function compileAssemblyScript(src, args) {
  let stderr = '';
  const out = {};
  const { error } = await asc.main([src, '--outFile', 'out.wasm', ...args], {
    writeFile(name, contents) {
      out[name] = contents;
    },
    stderr: { write: (s) => { stderr += s; } },
    stdout: { write: () => {} },
  });
  if (error) throw new Error(`AssemblyScript failed on ${src}:\n${stderr || error.message}`);
  return out['out.wasm'];
}
