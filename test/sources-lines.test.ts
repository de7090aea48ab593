/** Line splitting: chunk boundaries, partial lines, the length cap, UTF-8 with replacement. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, cutUtf8 } from '../src/sources/line-splitter.js';

function split(cap: number, chunks: Buffer[]): { lines: string[]; cuts: boolean[]; splitter: LineSplitter } {
  const lines: string[] = [];
  const cuts: boolean[] = [];
  const splitter = new LineSplitter(cap, (t, c) => {
    lines.push(t);
    cuts.push(c);
  });
  for (const c of chunks) splitter.feed(c);
  return { lines, cuts, splitter };
}

test('any chunking of a stream gives the same lines as splitting it whole', () => {
  const text = 'first line\nsecond ünïcödé line\n\nfourth 🎉 line\r\nfifth';
  const bytes = Buffer.from(text);
  const expected = ['first line', 'second ünïcödé line', '', 'fourth 🎉 line'];
  for (let size = 1; size <= bytes.length; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const { lines, splitter } = split(4096, chunks);
    assert.deepEqual(lines, expected, `chunk size ${size}`);
    assert.equal(splitter.pendingBytes, Buffer.byteLength('fifth'), 'the unfinished line is held');
  }
});

test('a partial last line is held until its newline arrives', () => {
  const { lines, splitter } = split(4096, [Buffer.from('a\nhalf a li')]);
  assert.deepEqual(lines, ['a']);
  splitter.feed(Buffer.from('ne\n'));
  assert.deepEqual(lines, ['a', 'half a line']);
  assert.equal(splitter.pendingBytes, 0);
});

test('a 10 MB line without newline is cut at the cap and the rest dropped until the next newline', () => {
  const cap = 4096;
  const { lines, cuts, splitter } = split(cap, []);
  const block = Buffer.alloc(65536, 'x');
  for (let i = 0; i < 160; i++) splitter.feed(block); // 10 MiB, no newline
  assert.equal(lines.length, 0, 'nothing emitted before the newline');
  assert.equal(splitter.pendingBytes, 160 * 65536, 'the dropped bytes are still counted for the read position');
  splitter.feed(Buffer.from('yyy\nnext line\n'));
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.length, cap);
  assert.match(lines[0]!, /^x+$/);
  assert.deepEqual(cuts, [true, false]);
  assert.equal(lines[1], 'next line');
});

test('a long line inside one chunk is cut to the cap in bytes at a character boundary', () => {
  const long = 'é'.repeat(5000); // 10,000 bytes
  const { lines, cuts } = split(4096, [Buffer.from(`${long}\nshort\n`)]);
  assert.equal(Buffer.byteLength(lines[0]!), 4096);
  assert.ok(!lines[0]!.includes('\uFFFD'), 'no character cut in half');
  assert.deepEqual(cuts, [true, false]);
  assert.equal(lines[1], 'short');
});

test('invalid UTF-8 becomes U+FFFD and never throws', () => {
  const bad = Buffer.from([0x66, 0xff, 0xfe, 0x6f, 0xc3, 0x0a, 0xe2, 0x82, 0x0a, 0x80, 0x0a]);
  const { lines } = split(4096, [bad]);
  assert.equal(lines.length, 3);
  assert.equal(lines[0], 'f\uFFFD\uFFFDo\uFFFD');
  assert.ok(lines[1]!.includes('\uFFFD'));
  assert.equal(lines[2], '\uFFFD');
});

test('a multi-byte character split across chunks decodes whole', () => {
  const bytes = Buffer.from('ab€cd\n');
  const { lines } = split(4096, [bytes.subarray(0, 3), bytes.subarray(3, 4), bytes.subarray(4)]);
  assert.deepEqual(lines, ['ab€cd']);
});

test('flush hands out the unfinished line; reset forgets it', () => {
  const { lines, splitter } = split(4096, [Buffer.from('x\ntail without newline')]);
  splitter.flush();
  assert.deepEqual(lines, ['x', 'tail without newline']);
  splitter.feed(Buffer.from('dropped'));
  splitter.reset();
  splitter.feed(Buffer.from('kept\n'));
  assert.deepEqual(lines, ['x', 'tail without newline', 'kept']);
});

test('cutUtf8 keeps short text and cuts long text on a boundary', () => {
  assert.equal(cutUtf8('abc', 10), 'abc');
  assert.equal(cutUtf8('aé€', 4), 'aé');
  assert.equal(cutUtf8('€€', 5), '€');
});

test('a partial line longer than the first hold buffer grows it up to the cap, whole', () => {
  const cap = 1_048_576; // the journal's entry cap
  const part = Buffer.alloc(30_000, 'j');
  const { lines, cuts, splitter } = split(cap, []);
  for (let i = 0; i < 10; i++) splitter.feed(part);
  splitter.feed(Buffer.from('\n'));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.length, 300_000);
  assert.deepEqual(cuts, [false]);
});

test('lines decode as UTF-8 whether a chunk is pure ASCII or holds one byte above 0x7f', () => {
  const ascii = Array.from({ length: 200 }, (_, i) => `Nov 21 05:09:${String(i % 60).padStart(2, '0')} host sshd[1]: line ${i}`);
  const mixed = [...ascii.slice(0, 100), 'user caf\u00e9 from 192.0.2.1', ...ascii.slice(100)];
  for (const text of [ascii, mixed]) {
    const bytes = Buffer.from(`${text.join('\n')}\n`);
    assert.deepEqual(split(4096, [bytes]).lines, text);
  }
  // A lone Latin-1 byte is invalid UTF-8: U+FFFD, never the Latin-1 character.
  assert.deepEqual(split(4096, [Buffer.concat([Buffer.from('abc\nd'), Buffer.from([0xe9]), Buffer.from('f\n')])]).lines, ['abc', 'd\uFFFDf']);
});

test('a 1 MiB read is split into the same lines, cut the same way, though it is decoded in 64 KiB pieces', () => {
  // Lines of every length around the piece size, multi-byte characters on the boundaries,
  // a line far over the cap and empty lines: the pieces must end exactly at newlines.
  const want: string[] = [];
  for (let i = 0; want.join('\n').length < 1_100_000; i++) {
    want.push(i % 97 === 0 ? '' : i % 41 === 0 ? `é${'x'.repeat(70_000 + i)}` : `${i} ü ${'y'.repeat(i % 300)}`);
  }
  const bytes = Buffer.from(`${want.join('\n')}\n`);
  const cap = 4096;
  const expectCut = want.map((l) => Buffer.byteLength(l) > cap);
  const expected = want.map((l) => cutUtf8(l, cap));
  for (const size of [1_048_576, 65_536, 65_537, bytes.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const { lines, cuts, splitter } = split(cap, chunks);
    assert.deepEqual(lines, expected, `read size ${size}`);
    assert.deepEqual(cuts, expectCut, `read size ${size}`);
    assert.equal(splitter.pendingBytes, 0);
  }
  // With a cap above the piece size, a line longer than a piece comes out whole.
  const long = `${'z'.repeat(200_000)}\nshort\n`;
  assert.deepEqual(split(300_000, [Buffer.from(long)]).lines, ['z'.repeat(200_000), 'short']);
});
