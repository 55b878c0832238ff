#!/usr/bin/env node
// The `rostra` command: runs the compiled CLI (built by `npm install` and before `npm start`).
import '../dist/cli/entry.js';
