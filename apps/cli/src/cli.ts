#!/usr/bin/env node
console.log("mmsim");
