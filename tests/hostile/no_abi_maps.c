/* A syscall program that is not a storage function: no chase ABI maps. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("syscall")
int bptree_get(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
