/* scan.h — the lifecycle of one domain's scan: start -> gather (DNS questions planned by the
 * checks, asked in parallel, re-planned as answers arrive) -> evaluate -> score -> store -> free. */
#ifndef MXS_SCAN_H
#define MXS_SCAN_H

struct engine;
struct store_job;

/* Start scanning job (taken over: the scan owns its strings). The scan frees itself when done
 * and calls engine_scan_done. */
void scan_start(struct engine *e, struct store_job *job);

/* Cap on DNS questions per domain: a check that keeps asking is cut off here. */
#define SCAN_MAX_QUERIES 256

#endif
