#!/usr/bin/env node
// The package is compiled by `prepare` (which `npm ci` runs), so the bin loads
// plain JavaScript and starts fast.
import '../dist/src/cli/main.js';
