// SPDX-License-Identifier: GPL-2.0
//
// Hermes engine tile: one eBPF engine core with its program RAM and stack
// RAM, and the command controller of Documentation/hermes/device.rst
// ("Per-engine command interface", "Opcodes").
//
// The controller takes a copy of the request when EXEC is written, checks
// it exactly as the QEMU model does (same status for the same request),
// copies the program from its slot in device memory into the private
// program RAM (so rewriting the slot cannot change a running program),
// validates it (hermes_validate: INVALID_PROGRAM before anything runs), runs
// it REPEAT times and writes the response, the result block and the
// counters.  Slot allocation is device-wide, so REQUEST/RELEASE SLOT go to
// the slot manager in hermes_cl through a request/grant pair.
//
// Memory: the stack is private to the engine; the data slot and the
// program slot are reached through one 64-bit port into the shared device
// memory, which the loader and the running core use at different times.
module hermes_engine #(
    parameter IMEM_AW      = 9,      // program RAM: 2^IMEM_AW instructions
    parameter NPSLOT       = 4,
    parameter NDSLOT       = 4,
    parameter PSOFF        = 0,      // BAR4 layout (bytes)
    parameter PSSZE        = 4096,
    parameter DSOFF        = 16384,
    parameter DSSZE        = 4096,
    parameter MEM_AW       = 15,     // BAR4 byte address bits
    parameter NS_PER_CYCLE = 4,      // 250 MHz clk_main_a0
    parameter [31:0] BUDDEF = 32'h0100_0000
) (
    input  wire         clk,
    input  wire         rst_n,

    // Host side (decoded by hermes_cl).
    input  wire         exec_wr,      // EXEC written non-zero
    input  wire [255:0] req_in,       // EHCMDREQ at that write
    input  wire         done_clr,     // DONE written 0
    input  wire         abort_wr,     // ABORT written non-zero
    output reg          st_exec,
    output reg          st_done,
    output reg          st_reject,
    output reg  [127:0] resp,         // EHCMDRES
    output reg          irq,          // one-cycle pulse per completion

    // Result block and counters (EHENGBLK).
    output reg  [63:0]  res_r0,
    output reg  [63:0]  res_insns,
    output reg  [63:0]  res_time,
    output reg  [63:0]  res_faddr,
    output reg  [31:0]  res_fpc,
    output reg  [31:0]  res_fault,
    output reg  [31:0]  res_doff,
    output reg  [31:0]  res_dlen,
    output reg  [31:0]  res_iters,
    output reg  [31:0]  res_status,
    output reg  [63:0]  cnt_runs,
    output reg  [63:0]  cnt_insns,
    output reg  [63:0]  cnt_errors,
    output reg  [63:0]  cnt_busy,
    output wire [63:0]  cnt_cycles,   // core counters (RTL extension)
    output wire [63:0]  cnt_stalls,

    // Slot manager.
    input  wire [NPSLOT-1:0] pslot_used,
    input  wire [NDSLOT-1:0] dslot_used,
    output reg          sl_req,
    output reg          sl_release,   // 0 allocate, 1 release
    output reg          sl_type,      // 0 program, 1 data
    output reg  [7:0]   sl_num,
    input  wire         sl_gnt,
    input  wire [7:0]   sl_status,
    input  wire [7:0]   sl_slot,

    // Shared device memory, 64-bit words (see hermes_ebpf_core's port).
    output reg          mem_req,
    output reg          mem_we,
    output reg  [MEM_AW-1:0] mem_addr,
    output reg  [63:0]  mem_wdata,
    output reg  [7:0]   mem_wstrb,
    input  wire         mem_gnt,
    input  wire         mem_rvalid,
    input  wire [63:0]  mem_rdata
);
    localparam [63:0] DATA_BASE  = 64'h0000_0001_0000_0000;
    localparam [63:0] CTX_BASE   = 64'h0000_0002_0000_0000;
    localparam [63:0] STACK_BASE = 64'h0000_0003_0000_0000;
    localparam MAXINSN = (PSSZE / 8 < (1 << IMEM_AW)) ? PSSZE / 8 : (1 << IMEM_AW);

    // Status codes (device.rst "Status codes").
    // NO_SPACE comes from the slot manager.
    localparam [7:0] ST_SUCCESS = 8'h00,
                     ST_BAD_PSLOT = 8'h02, ST_BAD_DSLOT = 8'h03,
                     ST_BAD_ADDR = 8'h04, ST_EBPF_ERROR = 8'h05,
                     ST_BAD_OPCODE = 8'h06, ST_BAD_PROGRAM = 8'h07,
                     ST_BUDGET = 8'h08, ST_ABORTED = 8'h09,
                     ST_BAD_FIELD = 8'h0a;

    localparam [2:0] C_IDLE = 3'd0, C_DECODE = 3'd1, C_SLOT = 3'd2,
                     C_LOAD = 3'd3, C_START = 3'd4, C_RUN = 3'd5,
                     C_FIN = 3'd6, C_VALID = 3'd7;

    reg  [2:0]   cstate;
    reg  [255:0] req;
    reg          aborting;

    // Request fields.
    wire [7:0]  r_opc    = req[7:0];
    wire [7:0]  r_flags  = req[15:8];
    wire [15:0] r_cid    = req[31:16];
    wire [31:0] r_rsvd   = req[63:32];
    wire [7:0]  r_b8     = req[71:64];
    wire [7:0]  r_b9     = req[79:72];
    wire [15:0] r_b10    = req[95:80];
    wire [31:0] r_plen   = req[127:96];
    wire [31:0] r_doff   = req[159:128];
    wire [31:0] r_dlen   = req[191:160];
    wire [31:0] r_repeat = req[223:192];
    wire [31:0] r_budget = req[255:224];
    wire        r_window = r_flags[0];

    wire pslot_ok = ({24'd0, r_b8} < NPSLOT) && pslot_used[r_b8[$clog2(NPSLOT)-1:0]];
    wire dslot_ok = ({24'd0, r_b9} < NDSLOT) && dslot_used[r_b9[$clog2(NDSLOT)-1:0]];
    wire [31:0] eff_doff = r_window ? r_doff : 32'd0;
    wire [31:0] eff_dlen = r_window ? r_dlen : DSSZE;
    wire [32:0] win_end  = {1'b0, eff_doff} + {1'b0, eff_dlen};
    wire plen_bad = (r_plen == 32'd0) || (r_plen[2:0] != 3'd0) ||
                    (r_plen > PSSZE) || (r_plen[31:3] > MAXINSN);
    wire rel_ok   = r_b8 == 8'd0 ? (({24'd0, r_b9} < NPSLOT) && pslot_used[r_b9[$clog2(NPSLOT)-1:0]])
                                 : (({24'd0, r_b9} < NDSLOT) && dslot_used[r_b9[$clog2(NDSLOT)-1:0]]);

    // Run state.
    reg  [31:0] ninsns, load_i, iter, nrep, budget;
    reg  [31:0] doff, dlen;
    reg  [7:0]  pslot, dslot;
    reg         load_wait;
    reg  [63:0] run_insns, run_cycles;
    reg  [7:0]  fin_status;
    reg  [7:0]  fin_fault;
    reg  [7:0]  fin_slot;
    reg  [63:0] fin_r0;

    // ------------------------------------------------------------------
    // Engine core, program RAM and stack RAM.
    wire         core_done;
    wire [7:0]   core_fault;
    wire [63:0]  core_r0, core_faddr;
    wire [31:0]  core_pc, core_insns;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]  core_helper;   // the result block has room for 16 bits
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0]   core_fsize;
    wire [IMEM_AW-1:0] imem_addr_a, imem_addr_b;
    reg  [63:0]  imem_rdata_a, imem_rdata_b;
    wire         d_req, d_we;
    wire [63:0]  d_addr, d_wdata;
    wire [7:0]   d_wstrb;
    wire [1:0]   d_region;
    reg          core_start;

    reg  [63:0]  imem [0:(1 << IMEM_AW) - 1];
    reg  [63:0]  stk  [0:511];
    reg  [63:0]  stk_rdata;
    reg          stk_rvalid;

    wire         d_stack = (d_region == 2'd1);
    wire         d_gnt   = d_stack ? 1'b1 : (cstate == C_RUN && mem_gnt);
    wire         d_rvalid = stk_rvalid | (cstate == C_RUN && mem_rvalid);
    wire [63:0]  d_rdata  = stk_rvalid ? stk_rdata : mem_rdata;

    // Context bytes (device.rst "Run context"), little endian.
    wire [63:0] ctx_data = DATA_BASE + {32'd0, doff};
    wire [511:0] ctx = {64'd0, 32'd0, iter, 32'd0, 32'd0,
                        DATA_BASE + DSSZE, DATA_BASE, ctx_data,
                        ctx_data + {32'd0, dlen}, ctx_data};

    // busy and the core's retired counter are not needed here: the
    // controller counts per command from res_insns.
    /* verilator lint_off PINCONNECTEMPTY */
    hermes_ebpf_core #(.IMEM_AW(IMEM_AW)) u_core (
        .clk(clk), .rst_n(rst_n),
        .start(core_start),
        .cfg_prog_len(ninsns),
        .cfg_r1(ctx_data), .cfg_r2({32'd0, dlen}), .cfg_r3(CTX_BASE),
        .cfg_r4({32'd0, iter}),
        .cfg_data_base(DATA_BASE), .cfg_data_len(DSSZE), .cfg_data_perm(2'b11),
        .cfg_stack_base(STACK_BASE),
        .cfg_ctx_base(CTX_BASE), .cfg_ctx(ctx),
        .cfg_budget(budget), .cfg_test_helpers(1'b0), .abort_req(aborting),
        .busy(), .done(core_done),
        .res_fault(core_fault), .res_r0(core_r0), .res_pc(core_pc),
        .res_addr(core_faddr), .res_fsize(core_fsize), .res_helper(core_helper),
        .res_insns(core_insns),
        .cnt_cycles(cnt_cycles), .cnt_insns(), .cnt_stalls(cnt_stalls),
        .imem_addr_a(imem_addr_a), .imem_rdata_a(imem_rdata_a),
        .imem_addr_b(imem_addr_b), .imem_rdata_b(imem_rdata_b),
        .dmem_req(d_req), .dmem_we(d_we), .dmem_addr(d_addr),
        .dmem_wdata(d_wdata), .dmem_wstrb(d_wstrb), .dmem_region(d_region),
        .dmem_gnt(d_gnt), .dmem_rvalid(d_rvalid), .dmem_rdata(d_rdata)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // Program RAM, a true dual-port RAM: port A is written by the loader,
    // read by the validator's second pass, then by the core's fall-through
    // fetch; port B is the core's target fetch.
    wire load_write = (cstate == C_LOAD) && load_wait && mem_rvalid;
    wire [IMEM_AW-1:0] v_rd_addr;
    wire               v_reading;
    wire [IMEM_AW-1:0] port_a = load_write ? load_i[IMEM_AW-1:0] :
                                v_reading ? v_rd_addr : imem_addr_a;
    always @(posedge clk) begin
        if (load_write)
            imem[port_a] <= mem_rdata;
        imem_rdata_a <= imem[port_a];
    end
    always @(posedge clk)
        imem_rdata_b <= imem[imem_addr_b];

    reg          v_start;
    wire         v_done;
    wire [7:0]   v_kind;
    wire [31:0]  v_pc;
    hermes_validate #(.AW(IMEM_AW)) u_valid (
        .clk(clk), .rst_n(rst_n), .start(v_start), .n(ninsns),
        .in_valid(load_write), .in_word(mem_rdata),
        .in_last(load_i + 32'd1 == ninsns),
        .rd_addr(v_rd_addr), .rd_data(imem_rdata_a), .reading(v_reading),
        .done(v_done), .kind(v_kind), .bad_pc(v_pc)
    );

    // Stack RAM: the core only ever issues checked addresses.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] stk_off = d_addr - STACK_BASE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8:0]  stk_idx = stk_off[11:3];
    integer b;
    always @(posedge clk) begin
        stk_rvalid <= d_req && d_stack && !d_we;
        if (d_req && d_stack) begin
            if (d_we) begin
                for (b = 0; b < 8; b = b + 1)
                    if (d_wstrb[b])
                        stk[stk_idx][8*b +: 8] <= d_wdata[8*b +: 8];
            end
            stk_rdata <= stk[stk_idx];
        end
    end

    // Shared memory port: the loader or the core's data window.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] d_off = d_addr - DATA_BASE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [MEM_AW-1:0] dslot_base = DSOFF + dslot * DSSZE;
    wire [MEM_AW-1:0] pslot_base = PSOFF + pslot * PSSZE;
    always @(*) begin
        mem_req   = 1'b0;
        mem_we    = 1'b0;
        mem_addr  = {MEM_AW{1'b0}};
        mem_wdata = d_wdata;
        mem_wstrb = d_wstrb;
        if (cstate == C_LOAD) begin
            mem_req  = !load_wait && (load_i < ninsns);
            mem_addr = pslot_base + {load_i[MEM_AW-4:0], 3'b000};
        end else if (cstate == C_RUN) begin
            mem_req  = d_req && !d_stack;
            mem_we   = d_we;
            mem_addr = dslot_base + d_off[MEM_AW-1:0];
        end
    end

    // ------------------------------------------------------------------
    // Command controller.
    function [7:0] run_status(input [7:0] fault);
        case (fault)
            8'd0:  run_status = ST_SUCCESS;
            8'd19: run_status = ST_BUDGET;
            8'd22: run_status = ST_ABORTED;
            8'd1, 8'd2, 8'd3, 8'd4, 8'd5, 8'd6, 8'd7: run_status = ST_BAD_PROGRAM;
            default: run_status = ST_EBPF_ERROR;
        endcase
    endfunction

    always @(posedge clk) begin
        if (!rst_n) begin
            cstate     <= C_IDLE;
            st_exec    <= 1'b0;
            st_done    <= 1'b0;
            st_reject  <= 1'b0;
            resp       <= 128'd0;
            irq        <= 1'b0;
            req        <= 256'd0;
            aborting   <= 1'b0;
            sl_req     <= 1'b0;
            sl_release <= 1'b0;
            sl_type    <= 1'b0;
            sl_num     <= 8'd0;
            core_start <= 1'b0;
            v_start    <= 1'b0;
            load_wait  <= 1'b0;
            res_r0 <= 64'd0; res_insns <= 64'd0; res_time <= 64'd0;
            res_faddr <= 64'd0; res_fpc <= 32'd0; res_fault <= 32'd0;
            res_doff <= 32'd0; res_dlen <= 32'd0; res_iters <= 32'd0;
            res_status <= 32'd0;
            cnt_runs <= 64'd0; cnt_insns <= 64'd0; cnt_errors <= 64'd0;
            cnt_busy <= 64'd0;
            ninsns <= 32'd0; load_i <= 32'd0; iter <= 32'd0; nrep <= 32'd0;
            budget <= 32'd0; doff <= 32'd0; dlen <= 32'd0;
            pslot <= 8'd0; dslot <= 8'd0;
            run_insns <= 64'd0; run_cycles <= 64'd0;
            fin_status <= 8'd0; fin_fault <= 8'd0; fin_slot <= 8'd0;
            fin_r0 <= 64'd0;
        end else begin
            irq        <= 1'b0;
            core_start <= 1'b0;
            v_start    <= 1'b0;
            if (done_clr)
                st_done <= 1'b0;
            if (abort_wr && st_exec)
                aborting <= 1'b1;
            if (cstate == C_START || cstate == C_RUN) begin
                run_cycles <= run_cycles + 64'd1;
                cnt_busy   <= cnt_busy + NS_PER_CYCLE;
            end

            case (cstate)
            C_IDLE: begin
                if (exec_wr) begin
                    // st_exec is 0 here: a busy engine is never in C_IDLE.
                    req       <= req_in;
                    st_reject <= 1'b0;
                    st_done   <= 1'b0;
                    st_exec   <= 1'b1;
                    // ABORT in the same write applies after EXEC
                    aborting  <= abort_wr;
                    cstate    <= C_DECODE;
                end
            end

            C_DECODE: begin
                fin_slot  <= 8'd0;
                fin_fault <= 8'd0;
                fin_r0    <= 64'd0;
                run_insns <= 64'd0;
                run_cycles <= 64'd0;
                res_fpc   <= 32'd0;
                res_faddr <= 64'd0;
                cstate    <= C_FIN;
                case (r_opc)
                8'h00, 8'h01: begin
                    if (r_b8 > 8'd1 || r_rsvd != 32'd0 || r_flags != 8'd0) begin
                        fin_status <= ST_BAD_FIELD;
                    end else if (r_opc == 8'h01 && !rel_ok) begin
                        fin_status <= r_b8 == 8'd0 ? ST_BAD_PSLOT : ST_BAD_DSLOT;
                    end else begin
                        sl_req     <= 1'b1;
                        sl_release <= (r_opc == 8'h01);
                        sl_type    <= r_b8[0];
                        sl_num     <= r_b9;
                        cstate     <= C_SLOT;
                    end
                end
                8'h80: begin
                    if ((r_flags & 8'hfe) != 8'd0 || r_rsvd != 32'd0 || r_b10 != 16'd0 ||
                        (!r_window && (r_doff != 32'd0 || r_dlen != 32'd0))) begin
                        fin_status <= ST_BAD_FIELD;
                    end else if (!pslot_ok) begin
                        fin_status <= ST_BAD_PSLOT;
                    end else if (!dslot_ok) begin
                        fin_status <= ST_BAD_DSLOT;
                    end else if (plen_bad || win_end > DSSZE) begin
                        fin_status <= ST_BAD_ADDR;
                    end else begin
                        ninsns <= {3'd0, r_plen[31:3]};
                        pslot  <= r_b8;
                        dslot  <= r_b9;
                        doff   <= eff_doff;
                        dlen   <= eff_dlen;
                        nrep   <= (r_repeat == 32'd0) ? 32'd1 : r_repeat;
                        budget <= (r_budget == 32'd0) ? BUDDEF : r_budget;
                        iter   <= 32'd0;
                        load_i <= 32'd0;
                        load_wait <= 1'b0;
                        v_start <= 1'b1;
                        cstate <= C_LOAD;
                    end
                end
                default: fin_status <= ST_BAD_OPCODE;
                endcase
            end

            C_SLOT: begin
                if (sl_gnt) begin
                    sl_req     <= 1'b0;
                    fin_status <= sl_status;
                    fin_slot   <= sl_release ? 8'd0 : sl_slot;
                    cstate     <= C_FIN;
                end
            end

            C_LOAD: begin
                // One word at a time: request, grant, data.
                if (!load_wait && load_i < ninsns && mem_gnt)
                    load_wait <= 1'b1;
                if (load_write) begin
                    load_wait <= 1'b0;
                    load_i    <= load_i + 32'd1;
                end
                if (!load_wait && load_i >= ninsns)
                    cstate <= C_VALID;
            end

            C_VALID: begin
                if (v_done) begin
                    if (v_kind != 8'd0) begin
                        fin_status <= ST_BAD_PROGRAM;
                        fin_fault  <= v_kind;
                        res_fpc    <= v_pc;
                        res_fault  <= {24'd0, v_kind};
                        res_faddr  <= 64'd0;
                        res_r0     <= 64'd0;
                        cstate     <= C_FIN;
                    end else begin
                        cstate <= C_START;
                    end
                end
            end

            C_START: begin
                if (aborting) begin
                    fin_status <= ST_ABORTED;
                    fin_fault  <= 8'd22;
                    res_fault  <= 32'd22;
                    cstate     <= C_FIN;
                end else begin
                    core_start <= 1'b1;
                    cnt_runs   <= cnt_runs + 64'd1;
                    cstate     <= C_RUN;
                end
            end

            C_RUN: begin
                if (core_done) begin
                    run_insns <= run_insns + {32'd0, core_insns};
                    cnt_insns <= cnt_insns + {32'd0, core_insns};
                    res_r0    <= core_r0;
                    res_fpc   <= core_pc;
                    res_faddr <= core_faddr;
                    res_fault <= {core_fault == 8'd21 ? core_helper[15:0] : 16'd0,
                                  4'd0, core_fsize, core_fault};
                    if (core_fault != 8'd0) begin
                        fin_status <= run_status(core_fault);
                        fin_fault  <= core_fault;
                        cstate     <= C_FIN;
                    end else if (iter + 32'd1 >= nrep) begin
                        fin_status <= ST_SUCCESS;
                        fin_r0     <= core_r0;
                        iter       <= iter + 32'd1;
                        cstate     <= C_FIN;
                    end else begin
                        iter   <= iter + 32'd1;
                        cstate <= C_START;
                    end
                end
            end

            C_FIN: begin
                resp <= {fin_r0 | {56'd0, fin_slot},
                         (fin_fault != 8'd0 ? res_fpc : 32'd0),
                         fin_fault, fin_status, r_cid};
                res_status <= {r_cid, 8'd0, fin_status};
                if (r_opc == 8'h80 && fin_status != ST_BAD_FIELD &&
                    fin_status != ST_BAD_PSLOT && fin_status != ST_BAD_DSLOT &&
                    fin_status != ST_BAD_ADDR) begin
                    res_insns <= run_insns;
                    res_time  <= run_cycles * NS_PER_CYCLE;
                    res_doff  <= doff;
                    res_dlen  <= dlen;
                    res_iters <= iter;
                end
                if (fin_status != ST_SUCCESS)
                    cnt_errors <= cnt_errors + 64'd1;
                st_exec <= 1'b0;
                st_done <= 1'b1;
                irq     <= 1'b1;
                cstate  <= C_IDLE;
            end

            default: cstate <= C_IDLE;
            endcase

            // EXEC while busy: refuse, leave the running command alone.
            if (exec_wr && cstate != C_IDLE)
                st_reject <= 1'b1;
        end
    end
endmodule
