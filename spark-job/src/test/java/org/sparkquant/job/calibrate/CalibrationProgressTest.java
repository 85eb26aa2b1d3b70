package org.sparkquant.job.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CalibrationProgressTest {
  @Test
  void etaIsPrintedAsHoursMinutesSeconds() {
    assertEquals("0:00:00", CalibrationProgress.formatSeconds(0.2));
    assertEquals("0:01:05", CalibrationProgress.formatSeconds(65));
    assertEquals("2:00:01", CalibrationProgress.formatSeconds(7201));
  }
}
