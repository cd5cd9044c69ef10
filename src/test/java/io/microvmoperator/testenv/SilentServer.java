package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A host whose machine answers TCP but whose SSH server never speaks: it accepts connections on a
 * loopback address and then says nothing (no version string), as a hung sshd or a black-holing
 * middlebox does.
 */
public final class SilentServer implements AutoCloseable {

  private final ServerSocket socket;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final Thread acceptor;

  private SilentServer(ServerSocket socket) {
    this.socket = socket;
    this.acceptor = new Thread(this::acceptForever, "silent-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Listens on a free port of {@code address}. */
  public static SilentServer start(String address) {
    try {
      ServerSocket socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
      return new SilentServer(socket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String address() {
    return socket.getInetAddress().getHostAddress();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** How many TCP connections it accepted. */
  public int connections() {
    return connections.get();
  }

  /** How many of them the client has not closed yet (a read sees end-of-stream once it has). */
  public long stillOpen() {
    return accepted.stream().filter(SilentServer::peerStillThere).count();
  }

  private static boolean peerStillThere(Socket socket) {
    try {
      socket.setSoTimeout(1);
      byte[] buffer = new byte[256];
      while (socket.getInputStream().read(buffer) != -1) {
        // what the client sent (its version string) is not of interest
      }
      return false;
    } catch (java.net.SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void acceptForever() {
    while (!socket.isClosed()) {
      try {
        accepted.add(socket.accept());
        connections.incrementAndGet();
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
      for (Socket s : accepted) {
        s.close();
      }
      acceptor.join(5000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
