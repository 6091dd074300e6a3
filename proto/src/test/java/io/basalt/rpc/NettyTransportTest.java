package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class NettyTransportTest {
  /** Without the linux-x86_64 classifier jar Netty silently falls back to NIO; catch that here. */
  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = "amd64")
  void epollIsAvailableOnLinux() {
    assertThat(Epoll.isAvailable()).as("epoll unavailable: %s", Epoll.unavailabilityCause()).isTrue();
    assertThat(NettyTransport.epoll()).isTrue();
  }
}
