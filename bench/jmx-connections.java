// Prints `<accepted> <open>`: the broker's connection-creation-total and connection-count of one
// listener, summed over its network threads, read over JMX (`java bench/jmx-connections.java
// <jmx port> [listener]`; bench/idle-connections.ts runs it).
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

public class JmxConnections {
  public static void main(String[] args) throws Exception {
    String listener = args.length > 1 ? args[1] : "PLAINTEXT";
    JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + args[0] + "/jmxrmi"));
    try {
      MBeanServerConnection server = connector.getMBeanServerConnection();
      double accepted = 0;
      double open = 0;
      for (ObjectName name : server.queryNames(new ObjectName("kafka.server:type=socket-server-metrics,listener=" + listener + ",networkProcessor=*"), null)) {
        accepted += ((Number) server.getAttribute(name, "connection-creation-total")).doubleValue();
        open += ((Number) server.getAttribute(name, "connection-count")).doubleValue();
      }
      System.out.println((long) accepted + " " + (long) open);
    } finally {
      connector.close();
    }
  }
}
