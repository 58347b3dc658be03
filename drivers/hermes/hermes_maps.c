// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: device-resident maps.
 *
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_HASH maps created with a Hermes
 * device as their offload target live in the device's map memory: the
 * programs running there use them through the map helpers and their value
 * addresses, the host through the map commands 0x40 to 0x45 (device.rst,
 * "Device maps"), which this file issues on the control engine with keys
 * and values passing through that engine's data slot: map operations
 * never wait behind program runs (see hermes_ctrl_engine_get()).
 *
 * The driver accounts the map memory with the footprint the specification
 * gives, so that a map that cannot fit fails at creation with ENOSPC, and
 * checks every answer of the device against what it asked for.
 */

#include <linux/bpf.h>
#include <linux/io.h>
#include <linux/netdevice.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "hermes.h"

#define HERMES_MAP_CMD_TIMEOUT_MS	5000

/* Map flags that only the host acts on; the device has no map flags. */
#define HERMES_MAP_HOST_FLAGS	(BPF_F_RDONLY | BPF_F_WRONLY | \
				 BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)

static u32 hermes_map_type_dev(u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
		return 1;
	case BPF_MAP_TYPE_ARRAY:
		return 2;
	default:
		return 0;
	}
}

/* Map type names as bpftool prints them */
static const char * const hermes_map_type_names[] = {
	[BPF_MAP_TYPE_UNSPEC] = "unspec",
	[BPF_MAP_TYPE_HASH] = "hash",
	[BPF_MAP_TYPE_ARRAY] = "array",
	[BPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
	[BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
	[BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
	[BPF_MAP_TYPE_STACK_TRACE] = "stack_trace",
	[BPF_MAP_TYPE_CGROUP_ARRAY] = "cgroup_array",
	[BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
	[BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
	[BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
	[BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
	[BPF_MAP_TYPE_DEVMAP] = "devmap",
	[BPF_MAP_TYPE_SOCKMAP] = "sockmap",
	[BPF_MAP_TYPE_CPUMAP] = "cpumap",
	[BPF_MAP_TYPE_XSKMAP] = "xskmap",
	[BPF_MAP_TYPE_SOCKHASH] = "sockhash",
	[BPF_MAP_TYPE_CGROUP_STORAGE] = "cgroup_storage",
	[BPF_MAP_TYPE_REUSEPORT_SOCKARRAY] = "reuseport_sockarray",
	[BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE] = "percpu_cgroup_storage",
	[BPF_MAP_TYPE_QUEUE] = "queue",
	[BPF_MAP_TYPE_STACK] = "stack",
	[BPF_MAP_TYPE_SK_STORAGE] = "sk_storage",
	[BPF_MAP_TYPE_DEVMAP_HASH] = "devmap_hash",
	[BPF_MAP_TYPE_STRUCT_OPS] = "struct_ops",
	[BPF_MAP_TYPE_RINGBUF] = "ringbuf",
	[BPF_MAP_TYPE_INODE_STORAGE] = "inode_storage",
	[BPF_MAP_TYPE_TASK_STORAGE] = "task_storage",
	[BPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
	[BPF_MAP_TYPE_USER_RINGBUF] = "user_ringbuf",
	[BPF_MAP_TYPE_CGRP_STORAGE] = "cgrp_storage",
	[BPF_MAP_TYPE_ARENA] = "arena",
};

/**
 * hermes_map_type_name() - a map type's name, for messages
 * @type: enum bpf_map_type
 *
 * Return: the name bpftool gives the type, or "unknown".
 */
const char *hermes_map_type_name(u32 type)
{
	BUILD_BUG_ON(ARRAY_SIZE(hermes_map_type_names) != __MAX_BPF_MAP_TYPE);
	if (type >= ARRAY_SIZE(hermes_map_type_names) ||
	    !hermes_map_type_names[type])
		return "unknown";
	return hermes_map_type_names[type];
}

/**
 * hermes_map_footprint() - bytes of map memory a map takes on the device
 * @type: BPF_MAP_TYPE_ARRAY or BPF_MAP_TYPE_HASH
 * @key_size: bytes of a key
 * @value_size: bytes of a value
 * @max_entries: elements
 *
 * The exact formula of device.rst, "Map memory".
 *
 * Return: the footprint in bytes.
 */
static u64 hermes_map_footprint(u32 type, u32 key_size, u32 value_size,
				u32 max_entries)
{
	u64 kstride = round_up((u64)key_size, 8);
	u64 vstride = round_up((u64)value_size, 8);
	u64 nbuckets;

	if (type == BPF_MAP_TYPE_ARRAY)
		return round_up(max_entries * vstride, 64);
	nbuckets = roundup_pow_of_two(max_t(u64, max_entries, 2));
	return round_up(4 * nbuckets + max_entries * (8 + kstride + vstride),
			64);
}

/* Map commands the device aborts on its own are issued again this often */
#define HERMES_MAP_CMD_RETRIES	3

static int hermes_map_errno(struct hermes_dev *hd, u8 opc, u8 status)
{
	switch (status) {
	case HERMES_ST_SUCCESS:
		return 0;
	case HERMES_ST_MAP_NOENT:
		return -ENOENT;
	case HERMES_ST_MAP_EXIST:
		return -EEXIST;
	case HERMES_ST_MAP_FULL:
		return -E2BIG;
	case HERMES_ST_NO_SPACE:
	case HERMES_ST_NO_MAP_MEMORY:
		return -ENOSPC;
	case HERMES_ST_INVALID_FIELD:
		return -EINVAL;
	case HERMES_ST_ABORTED:
		return -EAGAIN;
	case HERMES_ST_INVALID_MAP:
		hermes_set_error(hd, "map command %#x: the device does not know the map",
				 opc);
		return -EBADF;
	default:
		hermes_set_error(hd, "map command %#x failed with status %#x",
				 opc, status);
		return -EIO;
	}
}

/*
 * One map command on the control engine.  @in (@in_len bytes) is copied to
 * the start of the engine's data slot, the command's KOFF is 0 and its
 * VOFF @voff; on success @out_len bytes at VOFF are copied to @out.
 */
static int hermes_map_cmd(struct hermes_dev *hd, u8 *req, const void *in,
			  u32 in_len, u32 voff, void *out, u32 out_len,
			  u8 *res)
{
	struct hermes_engine *e;
	unsigned int tries;
	u64 dbase;
	int err;

	if (in_len > hd->caps.dslot_size || voff > hd->caps.dslot_size ||
	    out_len > hd->caps.dslot_size - voff)
		return -E2BIG;

	/* a map freed as its last user exits must be freed on the device */
	e = hermes_ctrl_engine_get(hd, req[0] != HERMES_OPC_MAP_FREE);
	if (IS_ERR(e))
		return PTR_ERR(e);
	dbase = hd->caps.dslot_off + (u64)e->dslot * hd->caps.dslot_size;
	/* MAP CREATE and MAP FREE name no data slot */
	if (req[0] != HERMES_OPC_MAP_CREATE && req[0] != HERMES_OPC_MAP_FREE) {
		req[12] = e->dslot;
		put_unaligned_le32(0, req + 16);
		put_unaligned_le32(voff, req + 20);
	}

	err = in_len ? hermes_mem_write(hd, dbase, in, in_len) : 0;
	/*
	 * A map command the device aborted on its own (the QEMU model does
	 * when the VM is saved) left the map unchanged: issue it again.
	 */
	for (tries = 0; !err; tries++) {
		err = hermes_engine_cmd(e, req, res, HERMES_MAP_CMD_TIMEOUT_MS,
					false);
		if (err || res[2] != HERMES_ST_ABORTED ||
		    tries == HERMES_MAP_CMD_RETRIES || READ_ONCE(hd->dead))
			break;
	}
	if (!err)
		err = hermes_map_errno(hd, req[0], res[2]);
	if (!err && out_len)
		err = hermes_mem_read(hd, dbase + voff, out, out_len);
	hermes_engine_put(e);
	if (READ_ONCE(hd->dead))
		return -ENODEV;
	return err;
}

static struct hermes_map *hermes_map_priv(struct bpf_offloaded_map *offmap)
{
	return offmap->dev_priv;
}

static void hermes_map_req(struct hermes_map *hm, u8 *req, u8 opc, u8 flags)
{
	memset(req, 0, HERMES_REQ_SIZE);
	req[0] = opc;
	req[1] = flags;
	put_unaligned_le32(hm->id, req + 8);
}

static u32 hermes_map_voff(const struct bpf_map *map)
{
	return round_up(map->key_size, 8);
}

static int hermes_map_lookup_elem(struct bpf_offloaded_map *offmap,
				  void *key, void *value)
{
	struct hermes_map *hm = hermes_map_priv(offmap);
	struct bpf_map *map = &offmap->map;
	u8 req[HERMES_REQ_SIZE], res[HERMES_RES_SIZE];

	hermes_map_req(hm, req, HERMES_OPC_MAP_LOOKUP, 0);
	return hermes_map_cmd(hm->hd, req, key, map->key_size,
			      hermes_map_voff(map), value, map->value_size,
			      res);
}

static int hermes_map_update_elem(struct bpf_offloaded_map *offmap,
				  void *key, void *value, u64 flags)
{
	struct hermes_map *hm = hermes_map_priv(offmap);
	struct bpf_map *map = &offmap->map;
	u8 req[HERMES_REQ_SIZE], res[HERMES_RES_SIZE];
	u32 voff = hermes_map_voff(map);
	u8 *buf;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	buf = kzalloc(voff + map->value_size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, key, map->key_size);
	memcpy(buf + voff, value, map->value_size);
	hermes_map_req(hm, req, HERMES_OPC_MAP_UPDATE, flags);
	err = hermes_map_cmd(hm->hd, req, buf, voff + map->value_size, voff,
			     NULL, 0, res);
	kfree(buf);
	return err;
}

static int hermes_map_delete_elem(struct bpf_offloaded_map *offmap, void *key)
{
	struct hermes_map *hm = hermes_map_priv(offmap);
	struct bpf_map *map = &offmap->map;
	u8 req[HERMES_REQ_SIZE], res[HERMES_RES_SIZE];

	/* As the kernel's arrays: their elements cannot be deleted. */
	if (map->map_type == BPF_MAP_TYPE_ARRAY)
		return -EINVAL;
	hermes_map_req(hm, req, HERMES_OPC_MAP_DELETE, 0);
	return hermes_map_cmd(hm->hd, req, key, map->key_size, 0, NULL, 0,
			      res);
}

static int hermes_map_get_next_key(struct bpf_offloaded_map *offmap,
				   void *key, void *next_key)
{
	struct hermes_map *hm = hermes_map_priv(offmap);
	struct bpf_map *map = &offmap->map;
	u8 req[HERMES_REQ_SIZE], res[HERMES_RES_SIZE];

	hermes_map_req(hm, req, HERMES_OPC_MAP_GET_NEXT_KEY,
		       key ? 0 : HERMES_MAP_NEXT_FIRST);
	return hermes_map_cmd(hm->hd, req, key, key ? map->key_size : 0,
			      hermes_map_voff(map), next_key, map->key_size,
			      res);
}

static const struct bpf_map_dev_ops hermes_map_dev_ops = {
	.map_get_next_key	= hermes_map_get_next_key,
	.map_lookup_elem	= hermes_map_lookup_elem,
	.map_update_elem	= hermes_map_update_elem,
	.map_delete_elem	= hermes_map_delete_elem,
};

/* What the device cannot hold, refused before it is asked. */
static int hermes_map_check(struct hermes_dev *hd, const struct bpf_map *map)
{
	u32 type = hermes_map_type_dev(map->map_type);
	u64 vstride = round_up((u64)map->value_size, 8);

	if (!type || !(hd->caps.map_types & BIT_ULL(map->map_type))) {
		dev_info_ratelimited(&hd->pdev->dev,
				     "map type %s (%u) cannot be offloaded: the device does not report it in EHCAPMAPTYPES\n",
				     hermes_map_type_name(map->map_type),
				     map->map_type);
		return -EOPNOTSUPP;
	}
	if (map->map_flags & ~HERMES_MAP_HOST_FLAGS) {
		dev_info_ratelimited(&hd->pdev->dev,
				     "map flags %#x cannot be offloaded: the device has preallocated maps without flags\n",
				     map->map_flags & ~HERMES_MAP_HOST_FLAGS);
		return -EINVAL;
	}
	if (!map->key_size || map->key_size > HERMES_MAP_KEY_MAX ||
	    !map->value_size || map->value_size > HERMES_MAP_VALUE_MAX ||
	    !map->max_entries || map->max_entries > BIT(31) ||
	    (map->map_type == BPF_MAP_TYPE_ARRAY && map->key_size != 4))
		return -EINVAL;
	if ((u64)map->max_entries * vstride > BIT_ULL(32))
		return -E2BIG;
	/* A key and a value travel together through one data slot. */
	if (hermes_map_voff(map) + map->value_size > hd->caps.dslot_size)
		return -E2BIG;
	return 0;
}

static int hermes_map_alloc(struct hermes_dev *hd,
			    struct bpf_offloaded_map *offmap)
{
	struct bpf_map *map = &offmap->map;
	u8 req[HERMES_REQ_SIZE] = { HERMES_OPC_MAP_CREATE };
	u8 res[HERMES_RES_SIZE];
	struct hermes_map *hm;
	u64 footprint;
	u32 id;
	int err;

	if (!hd->map_max) {
		dev_info_ratelimited(&hd->pdev->dev,
				     "maps cannot be offloaded: %s\n", hd->no_maps);
		return -EOPNOTSUPP;
	}
	err = hermes_map_check(hd, map);
	if (err)
		return err;
	footprint = hermes_map_footprint(map->map_type, map->key_size,
					 map->value_size, map->max_entries);

	hm = kzalloc(sizeof(*hm), GFP_KERNEL);
	if (!hm)
		return -ENOMEM;

	mutex_lock(&hd->map_lock);
	if (hd->n_maps >= hd->map_max ||
	    footprint > hd->map_mem - hd->map_mem_used) {
		err = -ENOSPC;
		goto err_unlock;
	}
	req[8] = hermes_map_type_dev(map->map_type);
	put_unaligned_le32(map->key_size, req + 12);
	put_unaligned_le32(map->value_size, req + 16);
	put_unaligned_le32(map->max_entries, req + 20);
	err = hermes_map_cmd(hd, req, NULL, 0, 0, NULL, 0, res);
	if (err)
		goto err_unlock;

	/* Never trust the device: a known ID and the footprint we expect. */
	id = get_unaligned_le32(res + 8);
	if (id >= hd->map_max || test_bit(id, hd->map_ids) ||
	    get_unaligned_le32(res + 12) != footprint) {
		hermes_set_error(hd, "MAP CREATE answered map %u of %u bytes for %llu bytes",
				 id, get_unaligned_le32(res + 12), footprint);
		err = -EIO;
		goto err_unlock;
	}
	hm->hd = hd;
	hm->offmap = offmap;
	hm->id = id;
	hm->footprint = footprint;
	set_bit(id, hd->map_ids);
	list_add_tail(&hm->list, &hd->maps);
	hd->n_maps++;
	hd->map_mem_used += footprint;
	mutex_unlock(&hd->map_lock);

	offmap->dev_ops = &hermes_map_dev_ops;
	offmap->dev_priv = hm;
	return 0;

err_unlock:
	mutex_unlock(&hd->map_lock);
	kfree(hm);
	return err;
}

static int hermes_map_free(struct hermes_dev *hd,
			   struct bpf_offloaded_map *offmap)
{
	struct hermes_map *hm = hermes_map_priv(offmap);
	u8 req[HERMES_REQ_SIZE], res[HERMES_RES_SIZE];
	int err;

	/*
	 * A device that is going away has been reset or is about to be,
	 * which frees its maps: only the driver's state is left to drop.
	 */
	hermes_map_req(hm, req, HERMES_OPC_MAP_FREE, 0);
	err = hermes_map_cmd(hd, req, NULL, 0, 0, NULL, 0, res);
	if (err && err != -ENODEV)
		dev_warn(&hd->pdev->dev, "freeing device map %u failed: %d\n",
			 hm->id, err);

	mutex_lock(&hd->map_lock);
	clear_bit(hm->id, hd->map_ids);
	list_del(&hm->list);
	hd->n_maps--;
	hd->map_mem_used -= hm->footprint;
	mutex_unlock(&hd->map_lock);

	offmap->dev_priv = NULL;
	kfree(hm);
	return 0;
}

/**
 * hermes_map_offload() - the map part of the device's ndo_bpf
 * @hd: device
 * @bpf: BPF_OFFLOAD_MAP_ALLOC or BPF_OFFLOAD_MAP_FREE
 *
 * Called by the BPF core with the RTNL held.
 *
 * Return: 0, or a negative error code for an allocation (see
 * Documentation/hermes/driver.rst, "Maps").
 */
int hermes_map_offload(struct hermes_dev *hd, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case BPF_OFFLOAD_MAP_ALLOC:
		return hermes_map_alloc(hd, bpf->offmap);
	case BPF_OFFLOAD_MAP_FREE:
		return hermes_map_free(hd, bpf->offmap);
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * hermes_maps_init() - read and check the map capabilities at probe
 * @hd: device whose capabilities have been read
 *
 * A device without map commands, or with numbers out of the
 * specification's range, gets no map offload; programs and runs are not
 * affected.
 */
void hermes_maps_init(struct hermes_dev *hd)
{
	u32 max = ioread32(hd->regs + HERMES_REG_EHCAPMAPMAX);
	u32 kib = ioread32(hd->regs + HERMES_REG_EHCAPMAPMEM);

	hd->map_max = 0;
	if (!(hd->caps.cmds & HERMES_CMDS_MAP)) {
		hd->no_maps = "the device has no map commands (EHCAPCMDS bit 3 clear)";
		return;
	}
	if (!max || !kib) {
		hd->no_maps = "EHCAPMAPMAX or EHCAPMAPMEM is 0: no map IDs or no map memory";
		return;
	}
	if (!(hd->caps.map_types & (BIT_ULL(BPF_MAP_TYPE_HASH) |
				    BIT_ULL(BPF_MAP_TYPE_ARRAY)))) {
		hd->no_maps = "the device has neither hash nor array maps (EHCAPMAPTYPES)";
		return;
	}
	if (max > HERMES_MAP_IDS) {
		hd->no_maps = "EHCAPMAPMAX is over the map IDs the driver tracks";
		dev_warn(&hd->pdev->dev,
			 "device reports %u map IDs, more than %u: no map offload\n",
			 max, HERMES_MAP_IDS);
		return;
	}
	hd->map_max = max;
	hd->map_mem = (u64)kib * 1024;
}

void hermes_debugfs_maps(struct seq_file *m, struct hermes_dev *hd)
{
	struct hermes_map *hm;

	mutex_lock(&hd->map_lock);
	seq_printf(m, "maps: %u of %u\nmap memory: %llu of %llu bytes\n",
		   hd->n_maps, hd->map_max, hd->map_mem_used, hd->map_mem);
	list_for_each_entry(hm, &hd->maps, list) {
		const struct bpf_map *map = &hm->offmap->map;

		seq_printf(m, "map %u: %s key %u value %u entries %u, %llu bytes, bpf map %u\n",
			   hm->id,
			   hermes_map_type_name(map->map_type),
			   map->key_size, map->value_size, map->max_entries,
			   hm->footprint, map->id);
	}
	mutex_unlock(&hd->map_lock);
}
