package org.sparkquant.io.data;

import java.io.Closeable;
import java.util.Iterator;

/**
 * An iterator over an open resource, closed by the caller in try-with-resources. Bad data surfaces from
 * {@link #hasNext()} or {@link #next()} as an {@link IllegalArgumentException} naming the file (and line or row);
 * read failures as {@link java.io.UncheckedIOException}.
 *
 * @param <T> element type
 */
public interface CloseableIterator<T> extends Iterator<T>, Closeable {}
