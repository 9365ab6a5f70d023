package io.piddm.service;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Turns the gRPC server timer into a histogram. Quarkus registers {@code
 * grpc.server.processing.duration} as a summary without buckets, and Prometheus cannot compute
 * p50/p99 across instances from a summary, so every service gets buckets from 100 µs to 60 s.
 */
public class GrpcLatencyHistograms {

  static final String GRPC_SERVER_TIMER = "grpc.server.processing.duration";

  @Produces
  @Singleton
  MeterFilter grpcServerHistogram() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals(GRPC_SERVER_TIMER)) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .percentilesHistogram(true)
            .minimumExpectedValue((double) Duration.ofNanos(100_000).toNanos())
            .maximumExpectedValue((double) Duration.ofSeconds(60).toNanos())
            .build()
            .merge(config);
      }
    };
  }
}
