package io.piddm.registry.store;

/** An object's bytes together with the ETag that conditional writes compare against. */
public record StoredObject(byte[] data, String etag) {}
