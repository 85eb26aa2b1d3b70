/**
 * Configuration files: the YAML and JSON forms of quantizer configurations ({@code QuantizerConfigFiles}) and of their
 * optional {@code data:} section ({@code DataConfigFiles}), strictly validated with shared helpers.
 */
package org.sparkquant.io.config;
