import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evalJsonValue, Handle, HclExprError, parseExpression, type EvalEnv } from './expr.js';
import { isUnknown, refsOf, Unknown, type Value } from './value.js';

class Res extends Handle {
  constructor(private readonly addr: string) {
    super();
  }
  attr(name: string, text: string): Value {
    return new Unknown([{ address: this.addr, attr: name }], text);
  }
  index(key: Value): Handle {
    return new Res(`${this.addr}[${JSON.stringify(key)}]`);
  }
  whole(text: string): Value {
    return new Unknown([{ address: this.addr, attr: null }], text);
  }
}

const env: EvalEnv = {
  root(name, text): Value | Handle | undefined {
    if (name === 'var') return { env: 'prod', days: 90, names: ['a', 'b'], tags: { team: 'ml' } };
    if (name === 'local') return { prefix: 'acme' };
    if (name === 'aws_s3_bucket' || name === 'aws_kms_key') {
      return new (class extends Handle {
        attr(n: string): Handle {
          return new Res(`${name}.${n}`);
        }
        index(): Value {
          return new Unknown([], text);
        }
        whole(): Value {
          return new Unknown([], text);
        }
      })();
    }
    return undefined;
  },
};

const ev = (s: string): Value => evalJsonValue(s, env);

describe('HCL expression evaluation', () => {
  it('evaluates templates, arithmetic, conditionals and functions', () => {
    assert.equal(ev('${local.prefix}-models-${var.env}'), 'acme-models-prod');
    assert.equal(ev('${var.days * 24 * 3600}s'), '7776000s');
    assert.equal(ev('${var.days}'), 90);
    assert.equal(ev('${var.env == "prod" ? "Enabled" : "Suspended"}'), 'Enabled');
    assert.equal(ev('${upper(format("%s-%d", var.env, 3))}'), 'PROD-3');
    assert.deepEqual(ev('${[for n in var.names : "${n}-x" if n != "b"]}'), ['a-x']);
    assert.deepEqual(ev('${{ for k, v in var.tags : upper(k) => v }}'), { TEAM: 'ml' });
    assert.deepEqual(ev('${merge(var.tags, { purpose = "model" })}'), { team: 'ml', purpose: 'model' });
    assert.equal(ev('${lookup(var.tags, "team", "none")}'), 'ml');
    assert.equal(ev('${try(var.missing.x, "fallback")}'), 'fallback');
    assert.equal(ev('$${literal}'), '${literal}');
  });
  it('keeps references to resources as Unknown refs, through templates and jsonencode', () => {
    const arn = ev('${aws_kms_key.models.arn}');
    assert.ok(isUnknown(arn));
    assert.deepEqual(refsOf(arn), [{ address: 'aws_kms_key.models', attr: 'arn' }]);
    const objs = ev('${aws_s3_bucket.b.arn}/*');
    assert.deepEqual(refsOf(objs), [{ address: 'aws_s3_bucket.b', attr: 'arn' }]);
    const pol = ev('${jsonencode({\n  Statement = [{\n    Principal = "*"\n    Resource  = "${aws_s3_bucket.b.arn}/*"\n  }]\n})}') as Record<string, Value>;
    assert.equal((pol.Statement as Record<string, Value>[])[0]!.Principal, '*');
    assert.deepEqual(refsOf(pol), [{ address: 'aws_s3_bucket.b', attr: 'arn' }]);
    assert.deepEqual(refsOf(ev('${aws_s3_bucket.b["x"].id}')), [{ address: 'aws_s3_bucket.b["x"]', attr: 'id' }]);
  });
  it('reports syntax errors as HclExprError', () => {
    assert.throws(() => parseExpression('foo('), HclExprError);
    assert.throws(() => parseExpression('{ a = 1 b = 2 }'), HclExprError);
  });
  it('never throws anything but HclExprError on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          parseExpression(s);
        } catch (e) {
          return e instanceof HclExprError;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
  it('round-trips literals (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.stringMatching(/^[a-z0-9 _-]{0,20}$/), (n, s) => {
        assert.equal(ev(`\${${n}}`), n);
        assert.equal(ev(`\${"${s}"}`), s);
      }),
    );
  });
});
