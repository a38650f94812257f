import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterText } from '../../src/filter/filter-text.js';

test('text from a filter is made safe for a terminal: control characters shown, length capped', () => {
  assert.equal(filterText('ok \u001b[31mred\u001b[0m\nforged: line'), 'ok \\x1b[31mred\\x1b[0m\\x0aforged: line');
  assert.equal(filterText('plain words, ünïcode kept'), 'plain words, ünïcode kept');
  const long = filterText('x'.repeat(1000));
  assert.ok(long.length < 400 && long.endsWith('(700 more characters)'), long.slice(-40));
});
