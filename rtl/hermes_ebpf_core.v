// SPDX-License-Identifier: GPL-2.0
//
// Hermes eBPF engine core.
//
// Two-stage pipeline: FETCH is the program RAM's registered read, EXECUTE
// decodes, reads the register file, computes and writes back in one cycle.
// FETCH reads both successors of the instruction in EXECUTE, through the
// two ports of the program RAM: port A the next instruction, port B the
// jump, call or return target (which depends only on the instruction word
// and the pc, never on registers).  The branch condition then only selects
// which port's word EXECUTE takes in the next cycle; it is registered and
// never reaches a RAM address.  So ALU ops, moves and branches -- taken or
// not -- issue one per cycle with no penalty and no prediction.  Loads,
// stores, atomics, multiplication, division and the second slot of lddw
// stall the fetch stage (port A keeps reading the instruction to resume
// at, so it is ready when the stall ends).
//
// ISA: RFC 9669 base32/base64 groups plus atomic32/atomic64 and divmul,
// i.e. ALU/ALU64, JMP/JMP32 (incl. gotol), LDX/ST/STX of every size,
// sign-extending loads, lddw (src 0), movsx, bswap, sdiv/smod, the atomic
// operations and bpf-to-bpf calls.  Not implemented (faults INSN): callx,
// legacy LD_ABS/LD_IND, lddw with a non-zero src (the driver resolves map
// references before download), load-acquire/store-release.  Helpers are not
// in hardware; helper 5 (the bpf_conformance "unwind" test helper) exists
// only when cfg_test_helpers is set, which the device ties low.
//
// Every data access is checked, as in the C reference engine
// (qemu/hw/misc/hermes-ebpf.c), against the live stack frames first, then
// the data window, then the run context; an access must lie entirely inside
// one window that grants the access kind.  The engine never issues an
// unchecked request.  The 64-byte run context is read-only and comes from
// cfg_ctx, so it costs no memory.  Stack frames read as zero until written
// in the current activation: a valid bit per stack word is cleared when a
// frame is entered (one cycle) instead of zeroing 512 bytes of RAM, and the
// first store to a word writes all of it with the unwritten bytes zeroed.
//
// Fault kinds and the instruction count at a fault are those of the C
// engine (hermes-ebpf.h), so the two can be compared bit for bit.
module hermes_ebpf_core #(
    parameter IMEM_AW     = 12,  // program RAM address bits (instructions)
    parameter MAX_FRAMES  = 8,   // call depth incl. the main program
    parameter FRAME_BYTES = 512
) (
    input  wire         clk,
    input  wire         rst_n,

    // Run configuration, sampled on start.
    input  wire         start,
    input  wire [31:0]  cfg_prog_len,    // in 8-byte instruction slots
    input  wire [63:0]  cfg_r1,
    input  wire [63:0]  cfg_r2,
    input  wire [63:0]  cfg_r3,
    input  wire [63:0]  cfg_r4,
    input  wire [63:0]  cfg_data_base,
    input  wire [31:0]  cfg_data_len,
    input  wire [1:0]   cfg_data_perm,   // bit 0 read, bit 1 write
    input  wire [63:0]  cfg_stack_base,  // lowest address of the frames
    input  wire [63:0]  cfg_ctx_base,    // 64 bytes, read-only
    input  wire [511:0] cfg_ctx,         // its contents, byte 0 in bits 7:0
    input  wire [31:0]  cfg_budget,      // instructions allowed
    input  wire         cfg_test_helpers,
    input  wire         abort_req,       // stop before the next instruction

    // Run result, valid from the done pulse until the next start.
    output wire         busy,
    output reg          done,
    output reg  [7:0]   res_fault,       // FAULT_* below
    output reg  [63:0]  res_r0,
    output reg  [31:0]  res_pc,          // faulting instruction / last exit
    output reg  [63:0]  res_addr,        // faulting data address
    output reg  [3:0]   res_fsize,       // its size in bytes
    output reg  [31:0]  res_helper,      // helper ID of a HELPER fault
    output reg  [31:0]  res_insns,       // instructions executed this run

    // Free-running per-engine counters (reset only by rst_n).
    output reg  [63:0]  cnt_cycles,      // cycles spent running
    output reg  [63:0]  cnt_insns,       // instructions retired
    output reg  [63:0]  cnt_stalls,      // running cycles with no issue

    // Program RAM, two synchronous read ports, one cycle latency.
    output wire [IMEM_AW-1:0] imem_addr_a,   // fall-through / resume
    input  wire [63:0]  imem_rdata_a,
    output wire [IMEM_AW-1:0] imem_addr_b,   // jump / call / return target
    input  wire [63:0]  imem_rdata_b,

    // Data port: 64-bit words, byte strobes.  A request is held until
    // dmem_gnt; a read returns one dmem_rvalid later (any latency, one
    // outstanding).  dmem_region says which window the address hit
    // (0 data, 1 stack) so the fabric need not decode it again.
    output reg          dmem_req,
    output reg          dmem_we,
    output reg  [63:0]  dmem_addr,
    output reg  [63:0]  dmem_wdata,
    output reg  [7:0]   dmem_wstrb,
    output reg  [1:0]   dmem_region,
    input  wire         dmem_gnt,
    input  wire         dmem_rvalid,
    input  wire [63:0]  dmem_rdata
);
    // The status codes of hermes-ebpf.h / the device's fault kinds.
    localparam [7:0] FAULT_NONE    = 8'd0,
                     FAULT_INSN    = 8'd1,   // invalid or unsupported insn
                     FAULT_PC      = 8'd2,   // BAD_JUMP: left the program
                     FAULT_LOAD    = 8'd16,
                     FAULT_STORE   = 8'd17,
                     FAULT_ALIGN   = 8'd18,  // atomic not naturally aligned
                     FAULT_BUDGET  = 8'd19,
                     FAULT_DEPTH   = 8'd20,
                     FAULT_HELPER  = 8'd21,
                     FAULT_ABORTED = 8'd22;

    localparam [3:0] S_IDLE  = 4'd0,
                     S_FETCH = 4'd1,  // first fetch after start
                     S_RUN   = 4'd2,
                     S_LDDW  = 4'd3,  // second slot of lddw on the bus
                     S_MUL   = 4'd4,
                     S_DIV   = 4'd5,
                     S_RD0   = 4'd6,  // read first word
                     S_RD0W  = 4'd7,
                     S_RD1   = 4'd8,  // read second word (unaligned)
                     S_RD1W  = 4'd9,
                     S_WR0   = 4'd10,
                     S_WR1   = 4'd11,
                     S_ATOM  = 4'd12, // atomic: compute and start the write
                     S_CHK   = 4'd13; // window check, first request

    localparam [63:0] STACK_BYTES = MAX_FRAMES * FRAME_BYTES;
    localparam [63:0] FRAME64     = FRAME_BYTES;

    reg  [3:0]  state;
    reg  [31:0] pc;           // RUN: pc of ir; stalls: resume pc
    reg         take_b;       // RUN: ir comes from port B (control moved)
    reg  [31:0] run_insns;
    reg  [3:0]  depth;        // current call depth, 0 = main program
    reg  [63:0] stack_lo;     // lowest byte of the current frame
    reg  [31:0] stack_live;   // bytes of live frames: (depth + 1) * frame
    reg  [MAX_FRAMES*FRAME_BYTES/8-1:0] stk_valid;  // word written?
    reg  [63:0] rf [0:15];    // r0-r10; r11-r15 never written

    // Call stack: return pc and the callee-saved r6-r9 of each caller.
    // Small and read asynchronously: distributed RAM on an FPGA.
    // Indexed by depth (push) or depth - 1 (pop); 3 bits hold MAX_FRAMES <= 8.
    reg  [31:0] cs_pc [0:7];
    reg  [255:0] cs_regs [0:7];
    wire [2:0]  dix    = depth[2:0];
    wire [2:0]  dix_up = depth[2:0] - 3'd1;

    assign busy = (state != S_IDLE);

    // ------------------------------------------------------------------
    // Decode (EXECUTE stage; the instruction comes straight from the RAM).
    wire [63:0] ir  = take_b ? imem_rdata_b : imem_rdata_a;
    wire [7:0]  op  = ir[7:0];
    wire [3:0]  dst = ir[11:8];
    wire [3:0]  src = ir[15:12];
    wire [15:0] off = ir[31:16];
    wire [31:0] imm = ir[63:32];
    wire [2:0]  cls = op[2:0];
    wire [3:0]  code = op[7:4];
    wire        use_x = op[3];

    wire [63:0] imm64 = {{32{imm[31]}}, imm};
    wire [63:0] off64 = {{48{off[15]}}, off};
    wire [63:0] rd = rf[dst];
    wire [63:0] rs = rf[src];
    wire [63:0] opb = use_x ? rs : imm64;

    wire dst_ok = (dst <= 4'd10);
    wire src_ok = (src <= 4'd10);
    wire dst_wr = (dst <= 4'd9);    // r10 is read-only

    wire is_alu   = (cls == 3'd4) || (cls == 3'd7);
    wire is_alu64 = (cls == 3'd7);
    wire is_jmp   = (cls == 3'd5) || (cls == 3'd6);
    wire is_jmp32 = (cls == 3'd6);

    // ------------------------------------------------------------------
    // Single-cycle ALU.
    wire [31:0] a32 = rd[31:0];
    wire [5:0]  sh  = is_alu64 ? opb[5:0] : {1'b0, opb[4:0]};

    // Arithmetic shifts on their own signed wires: inside a wider unsigned
    // expression >>> would silently become a logical shift.
    wire signed [63:0] rd_s  = rd;
    wire signed [31:0] a32_s = a32;
    wire        [63:0] sra64 = rd_s >>> sh;
    wire        [31:0] sra32 = a32_s >>> sh[4:0];

    reg  [63:0] alu_res;
    reg         alu_ok;       // encoding valid
    reg         alu_long;     // goes to the multiplier or divider
    always @(*) begin
        alu_res  = 64'd0;
        alu_ok   = 1'b1;
        alu_long = 1'b0;
        case (code)
            4'h0: alu_res = rd + opb;
            4'h1: alu_res = rd - opb;
            4'h2: alu_long = 1'b1;                       // mul
            4'h3: begin alu_long = 1'b1;                 // div/sdiv
                        alu_ok = (off == 16'd0) || (off == 16'd1); end
            4'h4: alu_res = rd | opb;
            4'h5: alu_res = rd & opb;
            4'h6: alu_res = is_alu64 ? (rd << sh) : {32'd0, a32 << sh[4:0]};
            4'h7: alu_res = is_alu64 ? (rd >> sh) : {32'd0, a32 >> sh[4:0]};
            4'h8: begin alu_res = 64'd0 - rd; alu_ok = !use_x; end  // neg
            4'h9: begin alu_long = 1'b1;                 // mod/smod
                        alu_ok = (off == 16'd0) || (off == 16'd1); end
            4'ha: alu_res = rd ^ opb;
            4'hb: begin                                  // mov, movsx
                case (off)
                    16'd0:  alu_res = opb;
                    16'd8:  begin alu_res = {{56{rs[7]}},  rs[7:0]};  alu_ok = use_x; end
                    16'd16: begin alu_res = {{48{rs[15]}}, rs[15:0]}; alu_ok = use_x; end
                    16'd32: begin alu_res = {{32{rs[31]}}, rs[31:0]}; alu_ok = use_x & is_alu64; end
                    default: alu_ok = 1'b0;
                endcase
            end
            4'hc: alu_res = is_alu64 ? sra64 : {32'd0, sra32};
            4'hd: begin                                  // byte swaps
                // op[3] (BE) or ALU64 means swap; LE on a little-endian
                // device only truncates.
                if (use_x || is_alu64) begin
                    case (imm)
                        32'd16: alu_res = {48'd0, rd[7:0], rd[15:8]};
                        32'd32: alu_res = {32'd0, rd[7:0], rd[15:8], rd[23:16], rd[31:24]};
                        32'd64: alu_res = {rd[7:0], rd[15:8], rd[23:16], rd[31:24],
                                           rd[39:32], rd[47:40], rd[55:48], rd[63:56]};
                        default: alu_ok = 1'b0;
                    endcase
                    if (is_alu64 && use_x) alu_ok = 1'b0;
                end else begin
                    case (imm)
                        32'd16: alu_res = {48'd0, rd[15:0]};
                        32'd32: alu_res = {32'd0, rd[31:0]};
                        32'd64: alu_res = rd;
                        default: alu_ok = 1'b0;
                    endcase
                end
            end
            default: alu_ok = 1'b0;
        endcase
        // Byte swaps already produce their final width.
        if (!is_alu64 && code != 4'hd)
            alu_res = {32'd0, alu_res[31:0]};
        if (code != 4'hb && code != 4'h3 && code != 4'h9 && off != 16'd0)
            alu_ok = 1'b0;
    end

    // ------------------------------------------------------------------
    // Branch condition.
    wire [63:0] ca = is_jmp32 ? {32'd0, rd[31:0]} : rd;
    wire [63:0] cb = is_jmp32 ? {32'd0, opb[31:0]} : opb;
    wire        ca_s = is_jmp32 ? rd[31] : rd[63];
    wire        cb_s = is_jmp32 ? opb[31] : opb[63];
    wire        eq   = (ca == cb);
    wire        ult  = (ca < cb);
    // Signed less-than from the unsigned one: differing signs decide alone.
    wire        slt  = (ca_s != cb_s) ? ca_s : ult;

    reg cond;
    reg jmp_ok;
    always @(*) begin
        cond   = 1'b0;
        jmp_ok = 1'b1;
        case (code)
            4'h0: cond = 1'b1;                 // ja / gotol
            4'h1: cond = eq;
            4'h2: cond = !ult && !eq;
            4'h3: cond = !ult;
            4'h4: cond = ((ca & cb) != 64'd0);
            4'h5: cond = !eq;
            4'h6: cond = !slt && !eq;
            4'h7: cond = !slt;
            4'ha: cond = ult;
            4'hb: cond = ult || eq;
            4'hc: cond = slt;
            4'hd: cond = slt || eq;
            default: jmp_ok = 1'b0;            // call/exit decoded apart
        endcase
    end

    // ------------------------------------------------------------------
    // Data address and window check.
    wire        is_ldx = (cls == 3'd1);
    wire        is_st  = (cls == 3'd2);
    wire        is_stx = (cls == 3'd3);
    wire [2:0]  mode   = op[7:5];
    wire [1:0]  sz     = op[4:3];          // 0 W, 1 H, 2 B, 3 DW
    wire [3:0]  nbytes = (sz == 2'd0) ? 4'd4 : (sz == 2'd1) ? 4'd2 :
                         (sz == 2'd2) ? 4'd1 : 4'd8;
    wire [63:0] maddr  = (is_ldx ? rs : rd) + off64;
    wire        mem_wr_kind = is_st | is_stx;
    wire        mem_rd_kind = is_ldx | (is_stx && mode == 3'd6);

    // [addr, addr + n) inside [base, base + len)?
    function automatic in_win(input [63:0] addr, input [3:0] n,
                              input [63:0] base, input [31:0] len);
        reg [64:0] d;
        begin
            d = {1'b0, addr} - {1'b0, base};
            in_win = !d[64] && (d[63:32] == 32'd0) &&
                     ({1'b0, d[31:0]} + {29'd0, n} <= {1'b0, len});
        end
    endfunction

    // Alignment (atomics only) is checked at issue: it needs only the low
    // address bits.  The windows are checked in S_CHK, on the registered
    // address, so the 64-bit compares stay out of the EXECUTE stage.
    wire mem_align = (mode != 3'd6) || ((maddr[2:0] & (nbytes[2:0] - 3'd1)) == 3'd0);
    localparam SW = $clog2(MAX_FRAMES * FRAME_BYTES / 8);

    // Atomic operation encodings (imm of BPF_ATOMIC).
    wire [7:0] aop = imm[7:0];
    wire atomic_ok = (imm[31:8] == 24'd0) && (sz == 2'd0 || sz == 2'd3) &&
                     (aop == 8'h00 || aop == 8'h01 || aop == 8'h40 || aop == 8'h41 ||
                      aop == 8'h50 || aop == 8'h51 || aop == 8'ha0 || aop == 8'ha1 ||
                      aop == 8'he1 || aop == 8'hf1);

    // ------------------------------------------------------------------
    // Memory operation in flight (latched at issue).
    reg  [63:0] m_addr;
    reg  [3:0]  m_n;
    reg         m_sx, m_load, m_atomic;
    reg  [7:0]  m_aop;
    reg  [3:0]  m_dst, m_src;
    reg  [63:0] m_wval;       // store value / atomic operand
    reg  [63:0] m_cmp;        // r0 for cmpxchg
    reg  [63:0] m_rd0;
    reg         m_rd, m_wr;   // reads / writes memory (atomics: both)
    reg  [31:0] m_pc;         // for a window fault
    reg  [2:0]  m_cw;         // context word of the first byte
    reg         m_sv0, m_sv1; // stack words written in this frame
    reg  [1:0]  m_region;     // 0 data, 1 stack, 2 context
    reg  [SW-1:0] m_widx;     // stack word of the first word
    reg  [63:0] m_old;        // value read, before extension for loads

    wire [2:0]   m_lo    = m_addr[2:0];
    wire         m_span  = ({1'b0, m_lo} + m_n) > 4'd8;
    wire [63:0]  m_word0 = {m_addr[63:3], 3'b000};
    wire [63:0]  m_word1 = m_word0 + 64'd8;
    wire [63:0]  m_mask  = (m_n == 4'd8) ? 64'hffff_ffff_ffff_ffff :
                           (m_n == 4'd4) ? 64'h0000_0000_ffff_ffff :
                           (m_n == 4'd2) ? 64'h0000_0000_0000_ffff :
                                           64'h0000_0000_0000_00ff;
    // A load completes on the cycle its last word arrives, straight from the
    // port; only an unaligned access needs the first word from m_rd0.
    // The word read: the context from cfg_ctx, a stack word not yet
    // written in this frame as 0, anything else from the port.  The
    // context word index and the stack words' valid bits were looked up in
    // S_CHK, which keeps those lookups off the load's return path.
    wire          m_ctx    = (m_region == 2'd2);
    wire          m_second = (state == S_RD1W) || (state == S_RD1);
    wire [2:0]    ctx_w    = m_cw + {2'b00, m_second};
    wire          m_sv     = m_second ? m_sv1 : m_sv0;
    wire [63:0]   rd_word  = m_ctx ? cfg_ctx[{ctx_w, 6'd0} +: 64] :
                             (m_region == 2'd1 && !m_sv) ? 64'd0 :
                             dmem_rdata;
    wire          rd_valid = m_ctx || dmem_rvalid;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [127:0] m_rd_cat = ((state == S_RD1W || state == S_RD1) ? {rd_word, m_rd0}
                                                                 : {64'd0, rd_word})
                            >> {m_lo, 3'b000};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [63:0]  m_raw   = m_rd_cat[63:0] & m_mask;
    wire [63:0]  m_sext  = (m_n == 4'd4) ? {{32{m_raw[31]}}, m_raw[31:0]} :
                           (m_n == 4'd2) ? {{48{m_raw[15]}}, m_raw[15:0]} :
                                           {{56{m_raw[7]}},  m_raw[7:0]};
    wire [63:0]  m_loaded = m_sx ? m_sext : m_raw;

    // Atomic: the new memory value and whether to write it.
    reg  [63:0] a_new;
    reg         a_write;
    always @(*) begin
        a_write = 1'b1;
        case (m_aop & 8'hfe)
            8'h00: a_new = m_old + m_wval;
            8'h40: a_new = m_old | m_wval;
            8'h50: a_new = m_old & m_wval;
            8'ha0: a_new = m_old ^ m_wval;
            8'he0: a_new = m_wval;                      // xchg
            default: begin                              // cmpxchg
                a_new   = m_wval;
                a_write = ((m_cmp & m_mask) == m_old);
            end
        endcase
    end
    // Value to store (or the atomic's result), positioned for the two words
    // it may touch, with the byte strobes to match.
    function automatic [7:0] smask(input [3:0] n);
        smask = (n == 4'd8) ? 8'hff : (n == 4'd4) ? 8'h0f : (n == 4'd2) ? 8'h03 : 8'h01;
    endfunction
    wire [63:0]  m_sval = m_atomic ? a_new : m_wval;
    wire [127:0] m_wcat = {64'd0, m_sval & m_mask} << {m_lo, 3'b000};
    wire [15:0]  m_scat = {8'd0, smask(m_n)} << m_lo;

    // S_CHK: which window the registered access lies in, and its
    // permission.  Live stack frames first, then the data slot, then the
    // read-only context, as the C engine looks them up.
    wire c_stack = in_win(m_addr, m_n, stack_lo, stack_live);
    wire c_data  = in_win(m_addr, m_n, cfg_data_base, cfg_data_len);
    wire c_ctx   = in_win(m_addr, m_n, cfg_ctx_base, 32'd64);
    wire c_perm  = (!m_rd || cfg_data_perm[0]) && (!m_wr || cfg_data_perm[1]);
    wire c_hit   = c_stack || (c_data && c_perm) || (c_ctx && !m_wr);
    wire [1:0] c_region = c_stack ? 2'd1 : c_data ? 2'd0 : 2'd2;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] c_soff = m_addr - cfg_stack_base;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [SW-1:0] c_widx = c_soff[SW+2:3];  // stack word (stack hits only)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] c_coff = m_addr - cfg_ctx_base;
    /* verilator lint_on UNUSEDSIGNAL */

    // ------------------------------------------------------------------
    // Multiplier operands (registered so the product is a path of its own).
    reg  [63:0] mul_a, mul_b;
    reg         mul_32;
    reg  [3:0]  long_dst;
    reg  [31:0] lddw_lo;
    wire [63:0] mul_p = mul_a * mul_b;

    reg         div_start;
    reg  [63:0] div_a, div_b;
    reg         div_32, div_s, div_mod;
    wire        div_done;
    wire [63:0] div_res;

    hermes_div u_div (
        .clk(clk), .rst_n(rst_n), .start(div_start),
        .a(div_a), .b(div_b), .is32(div_32), .is_signed(div_s), .is_mod(div_mod),
        .done(div_done), .result(div_res)
    );

    // ------------------------------------------------------------------
    // EXECUTE: what the instruction ir does this cycle.
    wire [31:0] pc1   = pc + 32'd1;
    wire [31:0] pc_br = pc1 + {{16{off[15]}}, off};
    wire [31:0] pc_gl = pc1 + imm;
    wire        at_top = (depth == 4'd0);

    reg  [31:0] pc_next;
    reg         x_take;      // pc_next is the target (port B)
    reg  [7:0]  x_fault;
    reg  [63:0] x_faddr;
    reg         x_wb;        // write alu_res/... to rd
    reg  [63:0] x_wdata;
    reg  [3:0]  x_state;     // state after this cycle
    reg         x_exit, x_call, x_ret, x_mem, x_mul, x_div;
    always @(*) begin
        pc_next = pc1;
        x_take  = 1'b0;
        x_fault = FAULT_NONE;
        x_faddr = 64'd0;
        x_wb    = 1'b0;
        x_wdata = alu_res;
        x_state = S_RUN;
        x_exit  = 1'b0;
        x_call  = 1'b0;
        x_ret   = 1'b0;
        x_mem   = 1'b0;
        x_mul   = 1'b0;
        x_div   = 1'b0;
        if (pc >= cfg_prog_len) begin
            x_fault = FAULT_PC;
        end else if (run_insns >= cfg_budget) begin
            x_fault = FAULT_BUDGET;
        end else if (abort_req) begin
            x_fault = FAULT_ABORTED;
        end else if (is_alu) begin
            if (!alu_ok || !dst_wr || (use_x && !src_ok)) begin
                x_fault = FAULT_INSN;
            end else if (alu_long) begin
                x_mul   = (code == 4'h2);
                x_div   = !x_mul;
                x_state = x_mul ? S_MUL : S_DIV;
            end else begin
                x_wb = 1'b1;
            end
        end else if (is_jmp) begin
            if (op == 8'h85) begin                        // call
                if (src == 4'd1 && dst == 4'd0) begin
                    if (depth == MAX_FRAMES - 1) begin
                        x_fault = FAULT_DEPTH;
                    end else begin
                        x_call  = 1'b1;
                        x_take  = 1'b1;
                        pc_next = pc_gl;
                    end
                end else if (src == 4'd0 && dst == 4'd0 &&
                             imm == 32'd5 && cfg_test_helpers) begin
                    // Test helper "unwind": r0 = r1, stop if that is 0.
                    x_wb    = 1'b1;
                    x_wdata = rf[1];
                    x_exit  = (rf[1] == 64'd0);
                end else if (src == 4'd0) begin
                    x_fault = FAULT_HELPER;
                end else begin
                    x_fault = FAULT_INSN;
                end
            end else if (op == 8'h95) begin               // exit
                if (at_top) begin
                    x_exit = 1'b1;
                end else begin
                    x_ret   = 1'b1;
                    x_take  = 1'b1;
                    pc_next = cs_pc[dix_up];
                end
            end else if (op == 8'h06) begin               // gotol
                x_take  = 1'b1;
                pc_next = pc_gl;
            end else if (!jmp_ok || (code == 4'h0 && (use_x || is_jmp32)) ||
                         !dst_ok || (use_x && !src_ok)) begin
                x_fault = FAULT_INSN;
            end else if (cond) begin
                x_take  = 1'b1;
                pc_next = pc_br;
            end
        end else if (op == 8'h18) begin                   // lddw
            if (src != 4'd0 || !dst_wr || pc1 >= cfg_prog_len)
                x_fault = FAULT_INSN;
            else
                x_state = S_LDDW;
        end else if ((is_ldx && (mode == 3'd3 || (mode == 3'd4 && sz != 2'd3))) ||
                     (is_st && mode == 3'd3) ||
                     (is_stx && (mode == 3'd3 || (mode == 3'd6 && atomic_ok)))) begin
            if (!dst_ok || !src_ok || (is_ldx && !dst_wr)) begin
                x_fault = FAULT_INSN;
            end else if (!mem_align) begin
                x_fault = FAULT_ALIGN;
                x_faddr = maddr;
            end else begin
                x_mem   = 1'b1;
                x_state = S_CHK;
            end
        end else begin
            x_fault = FAULT_INSN;
        end
        if (x_fault != FAULT_NONE || x_exit)
            x_state = S_IDLE;
    end

    // Fetch addresses.  Port B's target comes from the instruction word
    // and the pc only; the condition that picks between the ports is
    // registered in take_b.  Outside RUN both ports read the resume pc.
    wire [31:0] x_target = (op == 8'h06 || op == 8'h85) ? pc_gl :
                           (op == 8'h95) ? cs_pc[dix_up] : pc_br;
    // High bits only matter to the FAULT_PC check on the pc register.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] fetch_a = (state == S_RUN || state == S_LDDW) ? pc1 : pc;
    wire [31:0] fetch_b = (state == S_RUN) ? x_target : pc;
    /* verilator lint_on UNUSEDSIGNAL */
    assign imem_addr_a = fetch_a[IMEM_AW-1:0];
    assign imem_addr_b = fetch_b[IMEM_AW-1:0];

    // ------------------------------------------------------------------
    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            state      <= S_IDLE;
            pc         <= 32'd0;
            take_b     <= 1'b0;
            run_insns  <= 32'd0;
            depth      <= 4'd0;
            done       <= 1'b0;
            res_fault  <= FAULT_NONE;
            res_r0     <= 64'd0;
            res_pc     <= 32'd0;
            res_addr   <= 64'd0;
            res_fsize  <= 4'd0;
            res_helper <= 32'd0;
            res_insns  <= 32'd0;
            stack_lo   <= 64'd0;
            stack_live <= 32'd0;
            stk_valid  <= {(MAX_FRAMES*FRAME_BYTES/8){1'b0}};
            cnt_cycles <= 64'd0;
            cnt_insns  <= 64'd0;
            cnt_stalls <= 64'd0;
            dmem_req   <= 1'b0;
            dmem_we    <= 1'b0;
            dmem_addr  <= 64'd0;
            dmem_wdata <= 64'd0;
            dmem_wstrb <= 8'd0;
            dmem_region <= 2'd0;
            div_start  <= 1'b0;
            for (i = 0; i < 16; i = i + 1)
                rf[i] <= 64'd0;
        end else begin
            done      <= 1'b0;
            div_start <= 1'b0;
            take_b    <= 1'b0;
            if (state != S_IDLE) begin
                cnt_cycles <= cnt_cycles + 64'd1;
                if (state != S_RUN || x_fault != FAULT_NONE)
                    cnt_stalls <= cnt_stalls + 64'd1;
            end

            case (state)
            S_IDLE: begin
                if (start) begin
                    for (i = 0; i < 16; i = i + 1)
                        rf[i] <= 64'd0;
                    rf[1]     <= cfg_r1;
                    rf[2]     <= cfg_r2;
                    rf[3]     <= cfg_r3;
                    rf[4]     <= cfg_r4;
                    rf[10]    <= cfg_stack_base + STACK_BYTES;
                    stack_lo  <= cfg_stack_base + STACK_BYTES - FRAME64;
                    stack_live <= FRAME_BYTES;
                    stk_valid <= {(MAX_FRAMES*FRAME_BYTES/8){1'b0}};
                    pc        <= 32'd0;
                    depth     <= 4'd0;
                    run_insns <= 32'd0;
                    state     <= S_FETCH;
                end
            end

            S_FETCH: state <= S_RUN;

            S_RUN: begin
                state <= x_state;
                if (x_fault != FAULT_NONE) begin
                    done       <= 1'b1;
                    res_fault  <= x_fault;
                    res_r0     <= rf[0];
                    res_pc     <= pc;
                    res_addr   <= x_faddr;
                    res_fsize  <= (x_faddr != 64'd0 || x_fault == FAULT_LOAD ||
                                   x_fault == FAULT_STORE || x_fault == FAULT_ALIGN)
                                  ? nbytes : 4'd0;
                    res_helper <= (x_fault == FAULT_HELPER) ? imm : 32'd0;
                    // As the C engine: the faulting instruction counts as
                    // executed unless it was never started.
                    if (x_fault == FAULT_PC || x_fault == FAULT_BUDGET ||
                        x_fault == FAULT_ABORTED) begin
                        res_insns <= run_insns;
                    end else begin
                        res_insns <= run_insns + 32'd1;
                        cnt_insns <= cnt_insns + 64'd1;
                    end
                end else begin
                    run_insns <= run_insns + 32'd1;
                    cnt_insns <= cnt_insns + 64'd1;
                    pc        <= pc_next;
                    take_b    <= x_take;
                    if (x_wb)
                        rf[dst] <= x_wdata;
                    if (x_exit) begin
                        done      <= 1'b1;
                        res_fault <= FAULT_NONE;
                        res_r0    <= x_wb ? x_wdata : rf[0];
                        res_pc    <= pc;
                        res_addr  <= 64'd0;
                        res_fsize <= 4'd0;
                        res_helper <= 32'd0;
                        res_insns <= run_insns + 32'd1;
                    end
                    if (x_call) begin
                        cs_pc[dix]   <= pc1;
                        cs_regs[dix] <= {rf[9], rf[8], rf[7], rf[6]};
                        depth  <= depth + 4'd1;
                        rf[10] <= rf[10] - FRAME64;
                        stack_lo   <= stack_lo - FRAME64;
                        stack_live <= stack_live + FRAME_BYTES;
                        // The callee's frame reads as zero until written.
                        stk_valid[(MAX_FRAMES - 2 - {28'd0, depth}) * (FRAME_BYTES / 8) +: (FRAME_BYTES / 8)]
                            <= {(FRAME_BYTES/8){1'b0}};
                    end
                    if (x_ret) begin
                        {rf[9], rf[8], rf[7], rf[6]} <= cs_regs[dix_up];
                        depth  <= depth - 4'd1;
                        rf[10] <= rf[10] + FRAME64;
                        stack_lo   <= stack_lo + FRAME64;
                        stack_live <= stack_live - FRAME_BYTES;
                    end
                    long_dst <= dst;
                    lddw_lo  <= imm;
                    if (x_mul) begin
                        mul_a  <= rd;
                        mul_b  <= opb;
                        mul_32 <= !is_alu64;
                    end
                    if (x_div) begin
                        div_start <= 1'b1;
                        div_a   <= rd;
                        div_b   <= opb;
                        div_32  <= !is_alu64;
                        div_s   <= (off == 16'd1);
                        div_mod <= (code == 4'h9);
                    end
                    if (x_mem) begin
                        m_addr   <= maddr;
                        m_n      <= nbytes;
                        m_sx     <= (mode == 3'd4);
                        m_load   <= is_ldx;
                        m_atomic <= is_stx && (mode == 3'd6);
                        m_aop    <= aop;
                        m_dst    <= dst;
                        m_src    <= src;
                        m_wval   <= is_st ? imm64 : rs;
                        m_cmp    <= rf[0];
                        m_rd     <= mem_rd_kind;
                        m_wr     <= mem_wr_kind;
                        m_pc     <= pc;
                    end
                end
            end

            S_LDDW: begin
                rf[long_dst] <= {imem_rdata_a[63:32], lddw_lo};
                pc    <= pc1;
                state <= S_RUN;
            end

            S_MUL: begin
                rf[long_dst] <= mul_32 ? {32'd0, mul_p[31:0]} : mul_p;
                state <= S_RUN;
            end

            S_DIV: begin
                if (div_done) begin
                    rf[long_dst] <= div_res;
                    state <= S_RUN;
                end
            end

            // Memory states.  Each request is raised by the state before, so
            // a state sees its request on the port from its first cycle.
            S_CHK: begin
                if (!c_hit) begin
                    // Outside every window: the instruction faults (it was
                    // counted at issue, as the C engine counts it).
                    done       <= 1'b1;
                    res_fault  <= m_load ? FAULT_LOAD : FAULT_STORE;
                    res_r0     <= rf[0];
                    res_pc     <= m_pc;
                    res_addr   <= m_addr;
                    res_fsize  <= m_n;
                    res_helper <= 32'd0;
                    res_insns  <= run_insns;
                    state      <= S_IDLE;
                end else begin
                    m_region    <= c_region;
                    m_widx      <= c_widx;
                    m_cw        <= c_coff[5:3];
                    m_sv0       <= stk_valid[c_widx];
                    m_sv1       <= stk_valid[c_widx + 1'b1];
                    // The context is read inside the engine.
                    dmem_req    <= (c_region != 2'd2);
                    dmem_we     <= m_wr && !m_rd;
                    dmem_addr   <= {m_addr[63:3], 3'b000};
                    dmem_region <= c_region;
                    dmem_wdata  <= m_wcat[63:0];
                    // First store to a stack word: write it whole.
                    dmem_wstrb  <= (c_region == 2'd1 && !stk_valid[c_widx])
                                   ? 8'hff : m_scat[7:0];
                    if (c_region == 2'd1 && m_wr && !m_rd)
                        stk_valid[c_widx] <= 1'b1;
                    state <= m_rd ? S_RD0 : S_WR0;
                end
            end

            S_RD0: begin
                if (m_ctx || dmem_gnt) begin
                    dmem_req <= 1'b0;
                    state    <= S_RD0W;
                end
            end
            S_RD0W: begin
                if (rd_valid) begin
                    m_rd0 <= rd_word;
                    if (m_span) begin
                        dmem_req  <= !m_ctx;
                        dmem_addr <= m_word1;
                        state     <= S_RD1;
                    end else if (m_load) begin
                        rf[m_dst] <= m_loaded;
                        state <= S_RUN;
                    end else begin
                        m_old <= m_raw;
                        state <= S_ATOM;
                    end
                end
            end
            S_RD1: begin
                if (m_ctx || dmem_gnt) begin
                    dmem_req <= 1'b0;
                    state    <= S_RD1W;
                end
            end
            S_RD1W: begin
                if (rd_valid) begin
                    if (m_load) begin
                        rf[m_dst] <= m_loaded;
                        state <= S_RUN;
                    end else begin
                        m_old <= m_raw;
                        state <= S_ATOM;
                    end
                end
            end
            S_ATOM: begin
                if (!a_write) begin
                    rf[0] <= m_old;          // cmpxchg mismatch: no write
                    state <= S_RUN;
                end else begin
                    dmem_req   <= 1'b1;
                    dmem_we    <= 1'b1;
                    dmem_addr  <= m_word0;
                    dmem_wdata <= m_wcat[63:0];
                    dmem_wstrb <= (m_region == 2'd1 && !stk_valid[m_widx]) ? 8'hff : m_scat[7:0];
                    if (m_region == 2'd1)
                        stk_valid[m_widx] <= 1'b1;
                    state      <= S_WR0;
                end
            end
            S_WR0: begin
                if (dmem_gnt) begin
                    if (m_span) begin
                        dmem_addr  <= m_word1;
                        dmem_wdata <= m_wcat[127:64];
                        dmem_wstrb <= (m_region == 2'd1 && !stk_valid[m_widx + 1'b1])
                                      ? 8'hff : m_scat[15:8];
                        if (m_region == 2'd1)
                            stk_valid[m_widx + 1'b1] <= 1'b1;
                        state      <= S_WR1;
                    end else begin
                        dmem_req <= 1'b0;
                        dmem_we  <= 1'b0;
                        state    <= S_RUN;
                        if (m_atomic && m_aop == 8'hf1)
                            rf[0] <= m_old;
                        else if (m_atomic && m_aop[0])
                            rf[m_src] <= m_old;
                    end
                end
            end
            S_WR1: begin
                if (dmem_gnt) begin
                    dmem_req <= 1'b0;
                    dmem_we  <= 1'b0;
                    state    <= S_RUN;
                    if (m_atomic && m_aop == 8'hf1)
                        rf[0] <= m_old;
                    else if (m_atomic && m_aop[0])
                        rf[m_src] <= m_old;
                end
            end
            default: state <= S_IDLE;
            endcase
        end
    end
endmodule
