package io.piddm.physics.random;

import java.util.Random;

/**
 * Per-sample random streams derived from one dataset seed, so sample k is the same whichever thread
 * makes it and in whatever order. {@link Random}'s generator and Gaussian method are fixed by its
 * specification, so the numbers are the same on every JVM.
 */
public final class Seeds {

  private Seeds() {}

  /** SplitMix64's finaliser: a well-mixed 64-bit value from (seed, stream, index). */
  public static long derive(long seed, long stream, long index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1) + 0xBF58476D1CE4E5B9L * (stream + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public static Random stream(long seed, long stream, long index) {
    return new Random(derive(seed, stream, index));
  }
}
