/** Job outputs that appear all at once, marked complete with {@code _SUCCESS}, or not at all. */
package org.sparkquant.io.output;
