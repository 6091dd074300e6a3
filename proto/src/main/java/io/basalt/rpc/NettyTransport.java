package io.basalt.rpc;

import io.basalt.common.NamedThreads;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Picks epoll where the native transport loads, NIO otherwise. */
public final class NettyTransport {
  private NettyTransport() {}

  public static boolean epoll() {
    return Epoll.isAvailable();
  }

  public static EventLoopGroup group(String component, int threads) {
    NamedThreads f = new NamedThreads(component);
    return epoll() ? new EpollEventLoopGroup(threads, f) : new NioEventLoopGroup(threads, f);
  }

  public static Class<? extends ServerSocketChannel> serverChannel() {
    return epoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public static Class<? extends SocketChannel> clientChannel() {
    return epoll() ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /**
   * Runs {@code task} on {@code loop} once its current iteration has handled every ready channel: one flush then
   * covers every write those reads caused (fewer syscalls than a flush per write), on loops that support it.
   */
  public static void afterIteration(EventLoop loop, Runnable task) {
    if (loop instanceof SingleThreadEventLoop stl) {
      stl.executeAfterEventLoopIteration(task);
    } else {
      loop.execute(task);
    }
  }
}
