import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanSource } from './source.js';

const SRC = [
  '# header comment',
  'resource "aws_s3_bucket" "models" {',
  '  bucket = "a-{b}-c"   # braces in strings do not count',
  '  policy = <<EOT',
  '{ "not": { "a": "block" } }',
  'EOT',
  '  tags = {',
  '    purpose = "model"',
  '  }',
  '  versioning {',
  '    enabled = true',
  '  }',
  '}',
  '',
  '// mirrorwatch:ignore MW-IMP-003 reason',
  'data "aws_iam_policy_document" "p" {',
  '  statement {',
  '    resources = ["${aws_s3_bucket.models.arn}/*"]',
  '  }',
  '}',
  '',
].join('\n');

describe('Terraform source positions', () => {
  it('finds block headers, ends, attribute and nested block lines, and comments', () => {
    const m = scanSource(SRC);
    assert.deepEqual(
      m.blocks.map((b) => [b.kind, b.labels.join('.'), b.line, b.endLine]),
      [
        ['resource', 'aws_s3_bucket.models', 2, 13],
        ['data', 'aws_iam_policy_document.p', 16, 20],
      ],
    );
    const b = m.blocks[0]!;
    assert.equal(b.attrLines.bucket, 3);
    assert.equal(b.attrLines.policy, 4);
    assert.equal(b.attrLines.tags, 7);
    assert.equal(b.attrLines.versioning, 10);
    assert.equal(b.deepLines['versioning.enabled'], 11);
    assert.equal(m.blocks[1]!.deepLines['statement.resources'], 18);
    assert.deepEqual(
      m.comments.map((c) => c.line),
      [1, 3, 15],
    );
  });
  it('survives unterminated input without throwing', () => {
    const m = scanSource('resource "a" "b" {\n  x = "unterminated\n');
    assert.equal(m.blocks.length, 1);
  });
});
