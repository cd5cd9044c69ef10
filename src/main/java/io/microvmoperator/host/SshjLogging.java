package io.microvmoperator.host;

import net.schmizz.sshj.common.LoggerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * sshj's own log, all of it at DEBUG. sshj logs every failed connection as an ERROR with a stack
 * trace (a host key that is not pinned, a host that went down), yet each of those failures also
 * reaches the operator as an exception, which it reports in status and events: logging them again
 * at every probe would bury real errors. {@code net.schmizz} at DEBUG shows them all.
 */
final class SshjLogging implements LoggerFactory {

  static final SshjLogging INSTANCE = new SshjLogging();

  private SshjLogging() {}

  @Override
  public Logger getLogger(String name) {
    return new AtDebug(org.slf4j.LoggerFactory.getLogger(name));
  }

  @Override
  public Logger getLogger(Class<?> type) {
    return new AtDebug(org.slf4j.LoggerFactory.getLogger(type));
  }

  /** Passes every event on to {@code delegate} at DEBUG (TRACE stays TRACE). */
  private static final class AtDebug extends AbstractLogger {
    private final transient Logger delegate;

    AtDebug(Logger delegate) {
      this.delegate = delegate;
      this.name = delegate.getName();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
      String message = MessageFormatter.basicArrayFormat(pattern, arguments);
      if (level == Level.TRACE) {
        delegate.trace(message, throwable);
      } else {
        delegate.debug(message, throwable);
      }
    }

    @Override
    public boolean isTraceEnabled() {
      return delegate.isTraceEnabled();
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
      return delegate.isTraceEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isInfoEnabled() {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isWarnEnabled() {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isErrorEnabled() {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
      return delegate.isDebugEnabled();
    }
  }
}
