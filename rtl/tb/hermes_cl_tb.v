// SPDX-License-Identifier: GPL-2.0
//
// hermes_cl driven the way the Linux driver drives a device: BAR0 through
// AXI-Lite transactions on the OCL port, program and data through AXI4
// bursts on DMA_PCIS, completion through the user interrupt.  Prints TAP.
//
// Expected values come from the test's own arithmetic on the data it
// sent (the sum below) and from device.rst (status codes, fault kinds,
// register values), never from the design.
`timescale 1ns / 1ps
module hermes_cl_tb;
    localparam PSOFF = 0, PSSZE = 4096, DSOFF = 16384, DSSZE = 4096;

    reg clk = 0;
    reg rst_n = 0;
    always #2 clk = ~clk;      // 250 MHz

    reg  [31:0]  awaddr = 0, wdata = 0, araddr = 0;
    reg  [3:0]   wstrb = 0;
    reg          awvalid = 0, wvalid = 0, bready = 0, arvalid = 0, rready = 0;
    wire         awready, wready, bvalid, arready, rvalid;
    wire [1:0]   bresp, rresp;
    wire [31:0]  rdata;

    reg  [5:0]   d_awid = 0, d_arid = 0;
    reg  [63:0]  d_awaddr = 0, d_araddr = 0;
    reg  [7:0]   d_awlen = 0, d_arlen = 0;
    reg  [2:0]   d_awsize = 6, d_arsize = 6;
    reg          d_awvalid = 0, d_wvalid = 0, d_wlast = 0, d_bready = 0;
    reg          d_arvalid = 0, d_rready = 0;
    reg  [511:0] d_wdata = 0;
    reg  [63:0]  d_wstrb = 0;
    wire         d_awready, d_wready, d_bvalid, d_arready, d_rvalid, d_rlast;
    wire [5:0]   d_bid, d_rid;
    wire [1:0]   d_bresp, d_rresp;
    wire [511:0] d_rdata;

    wire [15:0]  irq_req;
    reg  [15:0]  irq_ack = 0;
    wire [31:0]  id0, id1;

    hermes_cl #(.NENG(2), .PSOFF(PSOFF), .PSSZE(PSSZE), .DSOFF(DSOFF),
                .DSSZE(DSSZE), .MEM_AW(15)) dut (
        .clk_main_a0(clk), .rst_main_n(rst_n),
        .sh_ocl_awaddr(awaddr), .sh_ocl_awvalid(awvalid), .ocl_sh_awready(awready),
        .sh_ocl_wdata(wdata), .sh_ocl_wstrb(wstrb), .sh_ocl_wvalid(wvalid),
        .ocl_sh_wready(wready), .ocl_sh_bresp(bresp), .ocl_sh_bvalid(bvalid),
        .sh_ocl_bready(bready), .sh_ocl_araddr(araddr), .sh_ocl_arvalid(arvalid),
        .ocl_sh_arready(arready), .ocl_sh_rdata(rdata), .ocl_sh_rresp(rresp),
        .ocl_sh_rvalid(rvalid), .sh_ocl_rready(rready),
        .sh_cl_dma_pcis_awid(d_awid), .sh_cl_dma_pcis_awaddr(d_awaddr),
        .sh_cl_dma_pcis_awlen(d_awlen), .sh_cl_dma_pcis_awsize(d_awsize),
        .sh_cl_dma_pcis_awvalid(d_awvalid), .cl_sh_dma_pcis_awready(d_awready),
        .sh_cl_dma_pcis_wdata(d_wdata), .sh_cl_dma_pcis_wstrb(d_wstrb),
        .sh_cl_dma_pcis_wlast(d_wlast), .sh_cl_dma_pcis_wvalid(d_wvalid),
        .cl_sh_dma_pcis_wready(d_wready), .cl_sh_dma_pcis_bid(d_bid),
        .cl_sh_dma_pcis_bresp(d_bresp), .cl_sh_dma_pcis_bvalid(d_bvalid),
        .sh_cl_dma_pcis_bready(d_bready), .sh_cl_dma_pcis_arid(d_arid),
        .sh_cl_dma_pcis_araddr(d_araddr), .sh_cl_dma_pcis_arlen(d_arlen),
        .sh_cl_dma_pcis_arsize(d_arsize), .sh_cl_dma_pcis_arvalid(d_arvalid),
        .cl_sh_dma_pcis_arready(d_arready), .cl_sh_dma_pcis_rid(d_rid),
        .cl_sh_dma_pcis_rdata(d_rdata), .cl_sh_dma_pcis_rresp(d_rresp),
        .cl_sh_dma_pcis_rlast(d_rlast), .cl_sh_dma_pcis_rvalid(d_rvalid),
        .sh_cl_dma_pcis_rready(d_rready),
        .cl_sh_apppf_irq_req(irq_req), .sh_cl_apppf_irq_ack(irq_ack),
        .cl_sh_id0(id0), .cl_sh_id1(id1)
    );

    // ------------------------------------------------------------------
    // TAP.
    integer tap = 0, failures = 0;
    task ok(input cond, input [8*80-1:0] what);
        begin
            tap = tap + 1;
            if (cond)
                $display("ok %0d - axi %0s", tap, what);
            else begin
                $display("not ok %0d - axi %0s", tap, what);
                failures = failures + 1;
            end
        end
    endtask

    // Shell side of the user interrupts: acknowledge each request two
    // cycles later and count them per engine.
    integer irqs0 = 0, irqs1 = 0;
    always @(posedge clk) begin
        irq_ack <= 16'd0;
        if (irq_req[0]) begin irqs0 = irqs0 + 1; irq_ack[0] <= 1'b1; end
        if (irq_req[1]) begin irqs1 = irqs1 + 1; irq_ack[1] <= 1'b1; end
    end

    // Global watchdog: a hung handshake is a failure, not a hang.
    initial begin
        #4000000;
        $display("not ok %0d - axi testbench watchdog expired", tap + 1);
        $display("1..%0d", tap + 1);
        $finish;
    end

    // ------------------------------------------------------------------
    // AXI-Lite master, one transaction at a time as the shell does.
    task lite_write(input [31:0] a, input [31:0] d, input [3:0] s);
        begin
            @(negedge clk);
            awaddr = a; wdata = d; wstrb = s; awvalid = 1; wvalid = 1; bready = 1;
            @(posedge clk);
            while (!(awready && wready)) @(posedge clk);
            @(negedge clk);
            awvalid = 0; wvalid = 0;
            while (!bvalid) @(posedge clk);
            @(negedge clk);
            bready = 0;
        end
    endtask

    task lite_read(input [31:0] a, output [31:0] d);
        begin
            @(negedge clk);
            araddr = a; arvalid = 1; rready = 1;
            @(posedge clk);
            while (!arready) @(posedge clk);
            @(negedge clk);
            arvalid = 0;
            while (!rvalid) @(posedge clk);
            d = rdata;
            @(negedge clk);
            rready = 0;
        end
    endtask

    task read64(input [31:0] a, output [63:0] d);
        reg [31:0] lo, hi;
        begin
            lite_read(a, lo);
            lite_read(a + 4, hi);
            d = {hi, lo};
        end
    endtask

    // DMA_PCIS: a burst of n 64-byte beats from buf (beat 0 in the low bits).
    reg [511:0] dbuf [0:7];
    task dma_write(input [63:0] a, input integer n, output [1:0] resp);
        integer i;
        begin
            @(negedge clk);
            d_awaddr = a; d_awlen = n - 1; d_awsize = 6; d_awid = 6'h2a; d_awvalid = 1;
            @(posedge clk);
            while (!d_awready) @(posedge clk);
            @(negedge clk);
            d_awvalid = 0;
            for (i = 0; i < n; i = i + 1) begin
                d_wdata = dbuf[i]; d_wstrb = {64{1'b1}}; d_wlast = (i == n - 1);
                d_wvalid = 1;
                @(posedge clk);
                while (!d_wready) @(posedge clk);
                @(negedge clk);
            end
            d_wvalid = 0; d_wlast = 0; d_bready = 1;
            while (!d_bvalid) @(posedge clk);
            resp = d_bresp;
            @(negedge clk);
            d_bready = 0;
        end
    endtask

    task dma_read(input [63:0] a, input integer n, output [1:0] resp);
        integer i;
        begin
            @(negedge clk);
            d_araddr = a; d_arlen = n - 1; d_arsize = 6; d_arid = 6'h15; d_arvalid = 1;
            @(posedge clk);
            while (!d_arready) @(posedge clk);
            @(negedge clk);
            d_arvalid = 0; d_rready = 1;
            resp = 2'b00;
            for (i = 0; i < n; i = i + 1) begin
                @(posedge clk);
                while (!d_rvalid) @(posedge clk);
                dbuf[i] = d_rdata;
                if (d_rresp != 2'b00) resp = d_rresp;
            end
            @(negedge clk);
            d_rready = 0;
        end
    endtask

    // ------------------------------------------------------------------
    // Commands, as the driver issues them: request, EXEC|clear DONE, wait
    // for DONE (bounded), read the response.
    reg [31:0] rq [0:7];
    reg [31:0] rs [0:3];
    task submit(input integer e);
        integer i;
        begin
            for (i = 0; i < 8; i = i + 1)
                lite_write(32'h1000 + 48 * e + 4 * i, rq[i], 4'hf);
            lite_write(32'h2000 + 8 * e, 32'h0000_0001, 4'hf);
        end
    endtask
    task wait_done(input integer e, output reg done);
        reg [31:0] c;
        integer n;
        begin
            done = 0;
            for (n = 0; n < 20000 && !done; n = n + 1) begin
                lite_read(32'h2000 + 8 * e, c);
                done = c[8];
            end
            for (n = 0; n < 4; n = n + 1)
                lite_read(32'h1020 + 48 * e + 4 * n, rs[n]);
        end
    endtask
    task command(input integer e, output reg done);
        begin
            submit(e);
            wait_done(e, done);
        end
    endtask
    task req_clear;
        integer i;
        begin
            for (i = 0; i < 8; i = i + 1) rq[i] = 0;
        end
    endtask

    function [63:0] ins(input [7:0] op, input [3:0] dst, input [3:0] src,
                        input [15:0] off, input [31:0] imm);
        ins = {imm, off, src, dst, op};
    endfunction

    // ------------------------------------------------------------------
    reg [31:0] v;
    reg [63:0] v64, sum;
    reg [1:0]  br;
    reg        done;
    reg [7:0]  ps, ds;
    integer    i, irq_before;
    reg [63:0] prog [0:15];
    reg [7:0]  expb [0:511];
    integer    k, bad;
    reg [63:0] exp_r0;

    initial begin
        repeat (8) @(posedge clk);
        rst_n = 1;
        repeat (4) @(posedge clk);

        // Identity and capabilities.
        ok(id0 == 32'hf0eb_1d0f && id1 == 32'hf0eb_1d0f,
           "cl_sh_id0/1: PCI 1d0f:f0eb, subsystem 1d0f:f0eb (the driver's F1 backend)");
        lite_read(32'h000, v);   ok(v == 2, "EHVER reads 2");
        lite_read(32'h100, v);   ok(v == 32'h534d5248, "EHCAPSIG reads HRMS");
        lite_read(32'h034, v);   ok(v[7:0] == 2 && v[15:8] == 4 && v[23:16] == 4,
                                    "EHENG/EHPSLOT/EHDSLOT");
        lite_read(32'h104, v);   ok(v[3:0] == 4 && v[8] && v[9] && !v[10] && v[11] && !v[13],
                                    "EHCAPISA: v4, atomics, div, local calls, no helpers");
        lite_read(32'h044, v);   ok(v == DSSZE, "EHDSSZE");

        // Slots: the lowest free one of each type.
        req_clear; rq[0] = {16'h0011, 8'h00, 8'h00}; rq[2] = 32'd0;
        command(0, done); ps = rs[2][7:0];
        ok(done && rs[0][15:0] == 16'h0011 && rs[0][23:16] == 0 && ps == 0,
           "request program slot -> slot 0, CID echoed");
        req_clear; rq[0] = {16'h0012, 8'h00, 8'h00}; rq[2] = 32'd1;
        command(0, done); ds = rs[2][7:0];
        ok(done && rs[0][23:16] == 0 && ds == 0, "request data slot -> slot 0");
        req_clear; rq[0] = {16'h0013, 8'h00, 8'h00}; rq[2] = 32'd7;
        command(1, done);
        ok(done && rs[0][23:16] == 8'h0a, "bad slot type -> INVALID_FIELD (engine 1)");

        // Program: sum the 16 u32 at r1, store the sum at r1 + 64, return it.
        prog[0] = ins(8'hb7, 0, 0, 0, 0);
        prog[1] = ins(8'hb7, 6, 0, 0, 0);
        prog[2] = ins(8'hbf, 7, 1, 0, 0);
        prog[3] = ins(8'h0f, 7, 6, 0, 0);
        prog[4] = ins(8'h61, 8, 7, 0, 0);
        prog[5] = ins(8'h0f, 0, 8, 0, 0);
        prog[6] = ins(8'h07, 6, 0, 0, 4);
        prog[7] = ins(8'ha5, 6, 0, -16'sd6, 64);
        prog[8] = ins(8'h7b, 1, 0, 64, 0);
        prog[9] = ins(8'h95, 0, 0, 0, 0);
        dbuf[0] = 0; dbuf[1] = 0;
        for (i = 0; i < 10; i = i + 1)
            if (i < 8) dbuf[0][64*i +: 64] = prog[i]; else dbuf[1][64*(i-8) +: 64] = prog[i];
        dma_write(PSOFF + ps * PSSZE, 2, br);
        ok(br == 2'b00, "DMA program into program slot (2-beat burst)");

        sum = 0;
        for (i = 0; i < 16; i = i + 1) begin
            dbuf[0][32*i +: 32] = 32'h9e3779b9 * (i + 1);
            sum = sum + (32'h9e3779b9 * (i + 1) & 32'hffffffff);
        end
        dbuf[1] = {8{64'hdead_beef_dead_beef}};
        dma_write(DSOFF + ds * DSSZE, 2, br);
        ok(br == 2'b00, "DMA data into data slot");

        // Run on engine 0 and wait for its interrupt.
        irq_before = irqs0;
        req_clear; rq[0] = {16'h0100, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 80;
        submit(0);
        for (i = 0; i < 5000 && irqs0 == irq_before; i = i + 1) @(posedge clk);
        ok(irqs0 == irq_before + 1, "run completes with user interrupt 0");
        irq_before = irqs1;
        wait_done(0, done);
        ok(done && rs[0][23:16] == 0 && {rs[3], rs[2]} == sum,
           "run: SUCCESS and r0 = sum of the data");
        read64(32'h3000 + 8'h08, v64); ok(v64 == 100, "RES_INSNS = 100");
        read64(32'h3000, v64);         ok(v64 == sum, "RES_R0 = sum");
        lite_read(32'h3034, v);        ok(v == {16'h0100, 16'h0000}, "RES_STATUS");
        read64(32'h3010, v64);         ok(v64 > 400 && v64 < 10000, "RES_TIME in ns plausible");
        dma_read(DSOFF + ds * DSSZE + 64, 1, br);
        ok(br == 2'b00 && dbuf[0][63:0] == sum && dbuf[0][127:64] == 64'hdead_beef_dead_beef,
           "program's store read back over DMA");

        // The same program with a window and two iterations on engine 1.
        req_clear; rq[0] = {16'h0101, 8'h01, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 80;
        rq[4] = 0; rq[5] = 128; rq[6] = 2;
        command(1, done);
        lite_read(32'h3080 + 8'h30, v);
        ok(done && rs[0][23:16] == 0 && {rs[3], rs[2]} == sum && v == 2,
           "engine 1: WINDOW run, REPEAT 2");
        repeat (10) @(posedge clk);
        ok(irqs1 > irq_before, "engine 1 completions raise user interrupt 1");

        // Both engines at once on the same slots: they share the memory
        // port, the results must not suffer.
        req_clear; rq[0] = {16'h0102, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 80;
        rq[6] = 20;
        submit(0);
        rq[0] = {16'h0103, 8'h00, 8'h80};
        submit(1);
        wait_done(0, done);
        v64 = {rs[3], rs[2]};
        ok(done && rs[0][23:16] == 0 && v64 == sum, "engines 0 and 1 concurrently: engine 0 result");
        wait_done(1, done);
        read64(32'h3080 + 8'h08, v64);
        ok(done && rs[0][23:16] == 0 && {rs[3], rs[2]} == sum && v64 == 20 * 100,
           "engines 0 and 1 concurrently: engine 1 result, 20 x 100 insns");

        // Byte lanes of the shared memory: unaligned 8-, 4-, 2- and 1-byte
        // stores and loads, across 64-bit words and 64-byte rows, checked
        // byte for byte over DMA against the same moves done here.
        for (k = 0; k < 512; k = k + 1) begin
            expb[k] = k * 7 + 3;
            dbuf[k / 64][8 * (k % 64) +: 8] = k * 7 + 3;
        end
        dma_write(DSOFF + ds * DSSZE, 8, br);
        prog[0]  = ins(8'hb7, 2, 0, 0, 0);
        prog[1]  = ins(8'hbf, 3, 1, 0, 0);
        prog[2]  = ins(8'h0f, 3, 2, 0, 0);
        prog[3]  = ins(8'h79, 4, 3, 0, 0);
        prog[4]  = ins(8'h7b, 3, 4, 131, 0);          // *(u64 *)(r3 + 131) = r4
        prog[5]  = ins(8'h07, 2, 0, 0, 8);
        prog[6]  = ins(8'ha5, 2, 0, -16'sd6, 64);
        prog[7]  = ins(8'h61, 5, 1, 1, 0);            // r5 = *(u32 *)(r1 + 1)
        prog[8]  = ins(8'h6b, 1, 5, 255, 0);          // u16 across rows 3/4
        prog[9]  = ins(8'h63, 1, 5, 318, 0);          // u32 across rows 4/5
        prog[10] = ins(8'h72, 1, 0, 400, 32'hab);     // u8 immediate
        prog[11] = ins(8'h79, 0, 1, 137, 0);          // unaligned u64 load
        prog[12] = ins(8'h95, 0, 0, 0, 0);
        dbuf[0] = 0; dbuf[1] = 0;
        for (i = 0; i < 13; i = i + 1)
            dbuf[i / 8][64 * (i % 8) +: 64] = prog[i];
        dma_write(PSOFF + ps * PSSZE, 2, br);
        for (i = 0; i < 64; i = i + 1)
            expb[131 + i] = expb[i];
        expb[255] = expb[1]; expb[256] = expb[2];
        expb[318] = expb[1]; expb[319] = expb[2]; expb[320] = expb[3]; expb[321] = expb[4];
        expb[400] = 8'hab;
        for (i = 0; i < 8; i = i + 1)
            exp_r0[8 * i +: 8] = expb[137 + i];
        req_clear; rq[0] = {16'h0104, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 104;
        command(0, done);
        ok(done && rs[0][23:16] == 0 && {rs[3], rs[2]} == exp_r0,
           "unaligned u64 load across words returns the moved bytes");
        dma_read(DSOFF + ds * DSSZE, 8, br);
        bad = 0;
        for (k = 0; k < 512; k = k + 1)
            if (dbuf[k / 64][8 * (k % 64) +: 8] !== expb[k]) bad = bad + 1;
        ok(br == 2'b00 && bad == 0, "unaligned stores: all 512 bytes as expected over DMA");

        // Faults.  Load beyond the data slot: LOAD at pc 1, address given.
        dbuf[0] = {5{64'd0}};
        dbuf[0][63:0]    = ins(8'hb7, 0, 0, 0, 7);
        dbuf[0][127:64]  = ins(8'h79, 2, 1, DSSZE, 0);
        dbuf[0][191:128] = ins(8'h95, 0, 0, 0, 0);
        dma_write(PSOFF + ps * PSSZE, 1, br);
        req_clear; rq[0] = {16'h0200, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 24;
        command(0, done);
        ok(done && rs[0][23:16] == 8'h05 && rs[0][31:24] == 16 && rs[1] == 1,
           "out-of-slot load -> EBPF_ERROR, fault LOAD at pc 1");
        read64(32'h3018, v64);  ok(v64 == 64'h1_0000_0000 + DSSZE, "RES_FADDR = end of the slot");
        lite_read(32'h3024, v); ok(v == 32'h0000_0810, "RES_FAULT: kind 16, size 8");

        // Endless loop: the budget ends it.
        dbuf[0] = 0;
        dbuf[0][63:0] = ins(8'h05, 0, 0, -16'sd1, 0);
        dma_write(PSOFF + ps * PSSZE, 1, br);
        req_clear; rq[0] = {16'h0300, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 8;
        rq[7] = 1000;
        command(0, done);
        read64(32'h3008, v64);
        ok(done && rs[0][23:16] == 8'h08 && rs[0][31:24] == 19 && v64 == 1000,
           "endless loop, budget 1000 -> BUDGET_EXCEEDED after 1000 insns");

        // Static validation: nothing runs, INVALID_PROGRAM says why and where.
        dbuf[0] = 0;
        dbuf[0][63:0]    = ins(8'hb7, 0, 0, 0, 1);
        dbuf[0][127:64]  = ins(8'h85, 0, 0, 0, 6);     // helper 6: none on the RTL
        dbuf[0][191:128] = ins(8'h95, 0, 0, 0, 0);
        dma_write(PSOFF + ps * PSSZE, 1, br);
        req_clear; rq[0] = {16'h0310, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 24;
        command(0, done);
        read64(32'h3008, v64);
        ok(done && rs[0][23:16] == 8'h07 && rs[0][31:24] == 1 && rs[1] == 1 && v64 == 0,
           "helper call -> INVALID_PROGRAM, kind INVALID_INSN at pc 1, nothing run");
        dbuf[0][191:128] = ins(8'hbf, 0, 1, 0, 0);      // last insn not exit
        dbuf[0][127:64]  = ins(8'hb7, 0, 0, 0, 2);
        dma_write(PSOFF + ps * PSSZE, 1, br);
        command(0, done);
        ok(done && rs[0][23:16] == 8'h07 && rs[0][31:24] == 5 && rs[1] == 2,
           "falls off the end -> INVALID_PROGRAM, kind NO_EXIT at pc 2");
        dbuf[0][63:0]    = ins(8'h05, 0, 0, 1, 0);      // ja into lddw's second half
        dbuf[0][127:64]  = ins(8'h18, 3, 0, 0, 5);
        dbuf[0][191:128] = ins(8'h00, 0, 0, 0, 0);
        dbuf[0][255:192] = ins(8'h95, 0, 0, 0, 0);
        dma_write(PSOFF + ps * PSSZE, 1, br);
        req_clear; rq[0] = {16'h0311, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 32;
        command(0, done);
        ok(done && rs[0][23:16] == 8'h07 && rs[0][31:24] == 2 && rs[1] == 0,
           "jump into lddw second half -> INVALID_PROGRAM, BAD_JUMP at pc 0");

        // The endless loop again, for the abort test.
        dbuf[0] = 0;
        dbuf[0][63:0] = ins(8'h05, 0, 0, -16'sd1, 0);
        dma_write(PSOFF + ps * PSSZE, 1, br);

        // Default budget, then EXEC again (REJECT) and ABORT.
        req_clear; rq[0] = {16'h0400, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 8;
        submit(0);
        repeat (50) @(posedge clk);
        lite_write(32'h2000, 32'h0000_0001, 4'h1);
        lite_read(32'h2000, v);
        ok(v[0] && v[16], "EXEC while busy -> REJECT, still running");
        lite_write(32'h2000, 32'h0100_0000, 4'h8);
        wait_done(0, done);
        ok(done && rs[0][23:16] == 8'h09 && rs[0][31:24] == 22, "ABORT -> ABORTED, fault 22");
        // EXEC and ABORT in one write: the device applies EXEC, then ABORT.
        req_clear; rq[0] = {16'h0401, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 8;
        for (i = 0; i < 8; i = i + 1)
            lite_write(32'h1000 + 4 * i, rq[i], 4'hf);
        lite_write(32'h2000, 32'h0100_0001, 4'hf);
        wait_done(0, done);
        ok(done && rs[0][23:16] == 8'h09 && rs[0][31:24] == 22,
           "EXEC and ABORT in one write -> ABORTED, fault 22");

        // Request errors.
        req_clear; rq[0] = {16'h0500, 8'h00, 8'h80}; rq[2] = {16'd0, 8'd1, ps}; rq[3] = 8;
        command(0, done);
        ok(done && rs[0][23:16] == 8'h03, "unallocated data slot -> INVALID_DATA_SLOT");
        req_clear; rq[0] = {16'h0501, 8'h00, 8'h80}; rq[2] = {16'd0, ds, ps}; rq[3] = 12;
        command(0, done);
        ok(done && rs[0][23:16] == 8'h04, "length not a multiple of 8 -> INVALID_ADDRESS");
        req_clear; rq[0] = {16'h0502, 8'h00, 8'h42};
        command(0, done);
        ok(done && rs[0][23:16] == 8'h06, "unknown opcode -> INVALID_OPCODE");
        dma_write(64'h0001_0000_0000, 1, br);
        ok(br == 2'b10, "DMA outside BAR4 -> SLVERR");

        // Release, twice.
        req_clear; rq[0] = {16'h0600, 8'h00, 8'h01}; rq[2] = {16'd0, ps, 8'd0};
        command(0, done);
        ok(done && rs[0][23:16] == 8'h00, "release program slot");
        command(0, done);
        ok(done && rs[0][23:16] == 8'h02, "release it again -> INVALID_PROG_SLOT");

        // Counters.
        read64(32'h3040, v64); ok(v64 == 25, "CNT_RUNS counts runs");
        read64(32'h3050, v64); ok(v64 == 11, "CNT_ERRORS counts failed commands");

        // Device reset: EHDEVCTL reads 1 until done, then slots are free
        // and device memory reads 0.
        lite_write(32'h080, 32'h1, 4'hf);
        lite_read(32'h080, v);
        i = 0;
        while (v[0] && i < 10000) begin lite_read(32'h080, v); i = i + 1; end
        dma_read(DSOFF + ds * DSSZE, 1, br);
        read64(32'h3040, v64);
        ok(!v[0] && dbuf[0] == 512'd0 && v64 == 0, "EHDEVCTL reset: memory zeroed, counters 0");
        req_clear; rq[0] = {16'h0700, 8'h00, 8'h00}; rq[2] = 32'd1;
        command(0, done);
        ok(done && rs[0][23:16] == 0 && rs[2][7:0] == 0, "after reset data slot 0 is free again");

        $display("1..%0d", tap);
        $finish;
    end
endmodule
