package org.sparkquant.core.exec.check;

/** The engine computes a kernel wrongly on this CPU; the message names the node, the CPU and what to do. */
public final class EngineFaultException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public EngineFaultException(String message) {
    super(message);
  }
}
