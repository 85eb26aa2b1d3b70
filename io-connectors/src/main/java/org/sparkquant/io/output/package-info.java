/**
 * Job outputs on any Hadoop file system, committed by a move from a temporary name and marked complete with
 * {@code _SUCCESS}, written last; and {@code latest} pointers to complete outputs.
 */
package org.sparkquant.io.output;
