// SPDX-License-Identifier: GPL-2.0-only
/* Ethernet/IPv4/UDP parser: drops UDP to port 53, decrements the TTL of
 * other IPv4 packets (recomputing the header checksum),
 * passes the rest; XDP_ABORTED for a truncated IPv4 header.
 */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

/* a bpf-to-bpf call: the device runs subprograms too */
static __noinline __u16 ip_csum(struct iphdr *ip, void *end)
{
	__u32 sum = 0, i;

	if ((void *)ip + 20 > end)
		return 0;
	for (i = 0; i < 10; i++)
		sum += ((__u16 *)ip)[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return XDP_ABORTED;
	if (ip->protocol == IPPROTO_UDP) {
		udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) > end)
			return XDP_ABORTED;
		if (udp->dest == bpf_htons(53))
			return XDP_DROP;
	}
	if (ip->ttl <= 1)
		return XDP_DROP;
	if (ip->ihl != 5)
		return XDP_PASS;
	ip->ttl--;
	ip->check = 0;
	ip->check = ip_csum(ip, end);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
