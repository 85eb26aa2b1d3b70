/** Graph-to-graph transformations: constant folding now; BatchNorm folding and quantizer placement later. */
package org.sparkquant.core.passes;
