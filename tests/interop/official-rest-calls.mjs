// Drives a build of the official server library, @relaybox/rest, for the comparison in
// test_official_rest_library.py. Reads {library, options, calls} as JSON on stdin, where
// library is the build's directory, options the RelayBox constructor's and each call
// {method: "rooms.members.add", args: [...]}; makes the calls in order and writes one JSON
// line per call: {ok, result} or {ok: false, error: {className, name, message, status, data}}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(readFileSync(0, 'utf8'));
const { default: RelayBox } = await import(
  pathToFileURL(join(input.library, 'dist', 'esm', 'index.js')).href
);
const relayBox = new RelayBox(input.options);

for (const call of input.calls) {
  const path = call.method.split('.');
  const owner = path.slice(0, -1).reduce((object, key) => object[key], relayBox);
  try {
    const result = await owner[path.at(-1)](...call.args);
    process.stdout.write(JSON.stringify({ ok: true, result: result ?? null }) + '\n');
  } catch (error) {
    const { name, message, status, data } = error;
    const className = error.constructor.name;
    process.stdout.write(
      JSON.stringify({ ok: false, error: { className, name, message, status, data } }) + '\n'
    );
  }
}
