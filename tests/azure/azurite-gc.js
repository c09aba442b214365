// Preloaded into Azurite by azurite.sh (node --require): its blob
// service's garbage collector, which frees the data of deleted blobs,
// never runs during a test run.  Every pass lists every blob, and frees
// each extent with a scan of all of them, without answering requests
// meanwhile.  Every 10 minutes (Azurite's own interval), the pass after
// ten minutes of Azure tests left Azurite silent for over 40 s, which
// failed the test then running; every 15 s, passes over the blobs of a
// large upload took up to 120 s.  Never: the Azure tests in 7 minutes,
// every answer within 3.3 s, Azurite's memory at most 830 MiB, freed when
// the run stops it.
"use strict";
const fs = require("fs");
const path = require("path");

const GC_MS = 24 * 3600 * 1000;		// longer than any run
const constants = path.join(path.dirname(fs.realpathSync(process.argv[1])),
    "utils", "constants.js");
try {
	require(constants).DEFAULT_GC_INTERVAL_MS = GC_MS;
} catch (e) {
	console.error(`azurite-gc.js: ${constants}: ${e.message}; ` +
	    "the garbage collector keeps its own interval");
}
