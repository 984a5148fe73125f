/*
Copyright 2026 The lightning-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package localcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// KubernetesServiceIP is the kubernetes Service's cluster IP, the first
// address of ServiceClusterIPRange: in-cluster clients (the operator's
// pods) dial it on port 443.
const KubernetesServiceIP = "10.0.0.1"

// podNetwork is a node's share of PodNetwork: a /24 on its bridge, the
// bridge's host address (the first of the /24), and the nat chain that
// sends the pods' connections to KubernetesServiceIP:443 to the apiserver.
type podNetwork struct {
	subnet  string // 10.244.N.0/24
	gateway string // 10.244.N.1, the bridge's address on the host
}

// chain is the node's nat chain, jumped to from PREROUTING for packets that
// come in on its bridge.
func (n node) chain() string { return "LIGHTNING-" + strings.ToUpper(n.id) }

// subnetFile records the /24 a running node took, so the next node on the
// machine picks another.
func (n node) subnetFile() string { return filepath.Join(n.run, "pod-subnet") }

// recordedPodSubnet is the /24 the running node took, or "".
func (n node) recordedPodSubnet() string {
	data, _ := os.ReadFile(n.subnetFile())
	return strings.TrimSpace(string(data))
}

// choosePodSubnet takes a /24 of PodNetwork that no other running node
// took and no interface of the machine is in: the one the node's id names,
// or the next free one. Call it under lockMachine.
func (c *Cluster) choosePodSubnet() (podNetwork, error) {
	n := c.node
	taken := map[string]bool{}
	entries, _ := os.ReadDir(runRoot)
	for _, e := range entries {
		if e.Name() == n.id {
			continue
		}
		if data, err := os.ReadFile(filepath.Join(runRoot, e.Name(), "pod-subnet")); err == nil {
			taken[strings.TrimSpace(string(data))] = true
		}
	}
	first, _ := strconv.ParseUint(n.id[:2], 16, 8)
	for i := range 256 {
		third := (int(first) + i) % 256
		subnet := fmt.Sprintf("10.244.%d.0/24", third)
		if taken[subnet] || addressInUse(subnet, n.bridge()) {
			continue
		}
		pn := podNetwork{subnet: subnet, gateway: fmt.Sprintf("10.244.%d.1", third)}
		return pn, writeFile(n.subnetFile(), []byte(subnet+"\n"), 0o600)
	}
	return podNetwork{}, fmt.Errorf("no free /24 left in %s", PodNetwork)
}

// addressInUse says whether an interface of the machine other than except
// has an address in subnet.
func addressInUse(subnet, except string) bool {
	out, err := exec.Command(nodePrograms["ip"], "-4", "-o", "addr", "show", "to", subnet).Output()
	if err != nil {
		return true
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// 5: lnbr1234abcd    inet 10.244.18.1/24 ...
		if f := strings.Fields(line); len(f) > 1 && f[1] != except {
			return true
		}
	}
	return false
}

// setupPodNetwork makes the node's bridge with its host address before any
// pod exists (the CNI bridge plugin then uses it as it is, and adds no
// address of its own: isGateway is false), and points the pods' connections
// to the kubernetes Service at the apiserver:
//
//   - route_localnet on the bridge only, so a packet that came in on it may
//     be delivered to 127.0.0.1 (the kernel drops it as martian otherwise);
//     it goes with the bridge;
//   - in the nat table, PREROUTING -i <bridge> jumps to the node's chain,
//     which DNATs KubernetesServiceIP:443 to 127.0.0.1:<apiserver port>.
//     The source stays the pod's address: nothing is masqueraded, and a
//     DNAT to a local address is delivered, not forwarded.
func (c *Cluster) setupPodNetwork(pn podNetwork, apiserverPort int) error {
	n := c.node
	br := n.bridge()
	if !linkExists(br) {
		if err := ip("link", "add", br, "type", "bridge"); err != nil {
			return err
		}
	}
	_, ipnet, err := net.ParseCIDR(pn.subnet)
	if err != nil {
		return err
	}
	ones, _ := ipnet.Mask.Size()
	for _, args := range [][]string{
		{"addr", "replace", pn.gateway + "/" + strconv.Itoa(ones), "dev", br},
		{"link", "set", br, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join("/proc/sys/net/ipv4/conf", br, "route_localnet"), []byte("1"), 0o644); err != nil {
		return fmt.Errorf("setting route_localnet on %s: %w", br, err)
	}
	c.deletePodChain()
	for _, args := range [][]string{
		{"-N", n.chain()},
		{"-A", n.chain(), "-d", KubernetesServiceIP + "/32", "-p", "tcp", "--dport", "443",
			"-j", "DNAT", "--to-destination", "127.0.0.1:" + strconv.Itoa(apiserverPort)},
		{"-A", "PREROUTING", "-i", br, "-j", n.chain()},
	} {
		if err := natRule(args...); err != nil {
			return err
		}
	}
	return nil
}

// deletePodChain removes the PREROUTING jump and the node's nat chain;
// stopNode calls it, and setupPodNetwork before it makes them.
func (c *Cluster) deletePodChain() {
	n := c.node
	for natRule("-D", "PREROUTING", "-i", n.bridge(), "-j", n.chain()) == nil {
	}
	_ = natRule("-F", n.chain())
	_ = natRule("-X", n.chain())
}

// podChainExists says whether the node's nat chain is still there.
func (n node) podChainExists() bool { return natRule("-S", n.chain()) == nil }

func natRule(args ...string) error {
	out, err := exec.Command(nodePrograms["iptables"], append([]string{"-w", "-t", "nat"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables -t nat %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func ip(args ...string) error {
	out, err := exec.Command(nodePrograms["ip"], args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
