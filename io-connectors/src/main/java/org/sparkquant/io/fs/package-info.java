/** Files on any Hadoop file system (local disk, HDFS, S3A), with one-line errors. */
package org.sparkquant.io.fs;
