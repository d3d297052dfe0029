/**
 * `npm run bench:scan`: the full posture scan over a generated tree of
 * Terraform files, beside the floor of parsing the same files with the HCL
 * parser (@cdktf/hcl2json) alone. Prints files/s and resources/s for both and
 * the ratio; the difference is what reference resolution, module expansion,
 * model-store identification and the rules cost on top of parsing.
 *
 *   node dist/bench/scan.js [files=2400] [roots=120]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScanner } from '../src/scan/index.js';
import { hclParser } from '../src/scan/terraform.js';

const FILES = Number(process.argv[2] ?? 2400);
const ROOTS = Number(process.argv[3] ?? 120);

/** One file: a model bucket with its key, encryption, versioning and a reader; every third file leaves gaps for findings. */
function fileText(root: number, i: number): string {
  const n = `r${root}f${i}`;
  const weak = i % 3 === 0;
  return `
locals {
  ${n}_name = "acme-${weak ? 'model' : 'data'}-${root}-${i}"
}

resource "aws_kms_key" "${n}" {
  description             = "key ${n}"
  enable_key_rotation     = true
  rotation_period_in_days = ${weak ? 365 : 90}
}

resource "aws_s3_bucket" "${n}" {
  bucket = local.${n}_name
  tags = {
    purpose = "${weak ? 'checkpoints' : 'reports'}"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "${n}" {
  bucket = aws_s3_bucket.${n}.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = ${weak ? '""' : `aws_kms_key.${n}.arn`}
    }
  }
}

resource "aws_s3_bucket_versioning" "${n}" {
  bucket = aws_s3_bucket.${n}.id
  versioning_configuration {
    status = "${weak ? 'Suspended' : 'Enabled'}"
  }
}

resource "aws_s3_bucket_public_access_block" "${n}" {
  bucket                  = aws_s3_bucket.${n}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = ${weak ? 'false' : 'true'}
}

resource "aws_iam_role_policy" "${n}" {
  role = "reader-${n}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "\${aws_s3_bucket.${n}.arn}/project-${i}/*"
    }]
  })
}
`;
}

const RESOURCES_PER_FILE = 6;

function generate(dir: string): string[] {
  const files: string[] = [];
  const perRoot = Math.ceil(FILES / ROOTS);
  for (let r = 0; r < ROOTS && files.length < FILES; r++) {
    const d = join(dir, `env-${r}`);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < perRoot && files.length < FILES; i++) {
      const p = join(d, `f${i}.tf`);
      writeFileSync(p, fileText(r, i));
      files.push(p);
    }
  }
  return files;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-scan-'));
  try {
    const files = generate(dir);
    const resources = files.length * RESOURCES_PER_FILE;
    // Warm the WebAssembly parser so neither measurement pays its start-up.
    await hclParser().parse('warm.tf', 'locals {\n  a = 1\n}\n');

    const t0 = performance.now();
    await Promise.all(files.map((f) => hclParser().parse(f, readFileSync(f, 'utf8'))));
    const parseMs = performance.now() - t0;

    const scanner = createScanner({ base: dir });
    const t1 = performance.now();
    const result = await scanner.scan(['.']);
    const scanMs = performance.now() - t1;

    if (result.errors.length) throw new Error(`unexpected parse errors: ${result.errors[0]!.message}`);
    const seen = result.resources.length;
    console.log(`generated ${files.length} .tf files in ${ROOTS} root modules, ${resources} resources (${seen} scanned)`);
    console.log(`hcl2json parse only : ${(parseMs / 1000).toFixed(2)} s  ${fmt(files.length / (parseMs / 1000))} files/s  ${fmt(resources / (parseMs / 1000))} resources/s`);
    console.log(`full scan           : ${(scanMs / 1000).toFixed(2)} s  ${fmt(files.length / (scanMs / 1000))} files/s  ${fmt(seen / (scanMs / 1000))} resources/s`);
    console.log(`ratio scan / parse  : ${(scanMs / parseMs).toFixed(2)}x  (${result.findings.length} findings, ${result.resources.filter((x) => x.model_store).length} model stores)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
