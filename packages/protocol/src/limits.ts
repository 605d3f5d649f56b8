/**
 * Size limits labd and the web must agree on: the web refuses an oversized body before it is
 * buffered, labd refuses it again as it arrives. One constant, so the two never drift apart.
 */
/** The largest lab file the editor opens or saves (bytes). */
export const MAX_FILE_BYTES = 1024 * 1024;
