package org.sparkquant.core.export;

/** The registry of exporters: adding a backend is one {@link Exporter} class and one line here. */
public final class Exporters {
  private Exporters() {}

  /** The exporter that writes models as {@code backend}. */
  public static Exporter of(Backend backend) {
    return switch (backend) {
      case ONNX_QDQ -> new OnnxQdqExporter();
    };
  }
}
