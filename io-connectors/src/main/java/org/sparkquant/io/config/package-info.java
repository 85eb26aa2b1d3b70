/** Configuration files: the YAML and JSON forms of quantizer configurations, strictly validated. */
package org.sparkquant.io.config;
