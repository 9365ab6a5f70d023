package io.piddm.cli;

import io.piddm.probe.ServiceEndpoint;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a service address written as {@code HOST:GRPC_PORT:HTTP_PORT}. */
final class EndpointConverter implements ITypeConverter<ServiceEndpoint> {

  static ServiceEndpoint parse(String name, String text) {
    String[] parts = text.split(":");
    if (parts.length != 3 || parts[0].isBlank()) {
      throw new TypeConversionException(
          "'" + text + "' is not HOST:GRPC_PORT:HTTP_PORT, e.g. localhost:9102:8102");
    }
    try {
      return new ServiceEndpoint(
          name, parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + text + "': ports must be numbers");
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  @Override
  public ServiceEndpoint convert(String text) {
    return parse("service", text);
  }
}
