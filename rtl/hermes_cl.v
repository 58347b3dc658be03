// SPDX-License-Identifier: GPL-2.0
//
// Hermes custom logic for an AWS F1 shell: the device of
// Documentation/hermes/device.rst with NENG eBPF engines.
//
//  - BAR0 registers on the OCL AXI-Lite port (sh_ocl_* / ocl_sh_*);
//  - device memory (program slots, then data slots) behind the DMA_PCIS
//    AXI4 port (sh_cl_dma_pcis_* / cl_sh_dma_pcis_*, 512-bit data), here as
//    one block RAM 64 bytes wide, so a DMA beat is one RAM row;
//  - engine e completes -> user interrupt e on cl_sh_apppf_irq_req.
//
// The port names and widths are those of the F1 shell interface, so a
// cl_hermes wrapper that includes the shell's port list only ties off the
// interfaces Hermes does not use (DDR, PCIM, SDA, BAR1) and instantiates
// this module; see Documentation/hermes/rtl.rst.
//
// Memory arbitration, one RAM access per cycle: device reset sweep, then
// DMA write beats, then DMA reads, then the engines round robin.  A read
// returns one cycle after its grant.
module hermes_cl #(
    parameter NENG    = 2,        // 1 to 16 (one user interrupt each)
    parameter NPSLOT  = 4,
    parameter NDSLOT  = 4,
    parameter PSSZE   = 4096,     // slot sizes, multiples of 4 KiB
    parameter DSSZE   = 4096,
    parameter PSOFF   = 0,
    parameter DSOFF   = 16384,
    parameter MEM_AW  = 15,       // BAR4 is 2^MEM_AW bytes
    parameter IMEM_AW = 9,        // program RAM per engine: 2^IMEM_AW insns
    parameter NS_PER_CYCLE = 4,   // clk_main_a0 period: 4 at 250 MHz, 8 at 125
    // PCI identity of the application PF (the shell presents it): Amazon's
    // vendor ID, Hermes' device ID from the customer range 0xf000-0xf0ff;
    // drivers/hermes picks its F1 backend by it.
    parameter [15:0] PCI_VENDOR_ID    = 16'h1d0f,
    parameter [15:0] PCI_DEVICE_ID    = 16'hf0eb,
    parameter [15:0] PCI_SUBSYS_VENDOR_ID = 16'h1d0f,
    parameter [15:0] PCI_SUBSYS_ID    = 16'hf0eb
) (
    input  wire         clk_main_a0,
    input  wire         rst_main_n,

    // OCL AXI-Lite (BAR0).
    input  wire [31:0]  sh_ocl_awaddr,
    input  wire         sh_ocl_awvalid,
    output wire         ocl_sh_awready,
    input  wire [31:0]  sh_ocl_wdata,
    input  wire [3:0]   sh_ocl_wstrb,
    input  wire         sh_ocl_wvalid,
    output wire         ocl_sh_wready,
    output reg  [1:0]   ocl_sh_bresp,
    output reg          ocl_sh_bvalid,
    input  wire         sh_ocl_bready,
    input  wire [31:0]  sh_ocl_araddr,
    input  wire         sh_ocl_arvalid,
    output wire         ocl_sh_arready,
    output reg  [31:0]  ocl_sh_rdata,
    output reg  [1:0]   ocl_sh_rresp,
    output reg          ocl_sh_rvalid,
    input  wire         sh_ocl_rready,

    // DMA_PCIS AXI4 (BAR4).
    input  wire [5:0]   sh_cl_dma_pcis_awid,
    input  wire [63:0]  sh_cl_dma_pcis_awaddr,
    input  wire [7:0]   sh_cl_dma_pcis_awlen,
    input  wire [2:0]   sh_cl_dma_pcis_awsize,
    input  wire         sh_cl_dma_pcis_awvalid,
    output wire         cl_sh_dma_pcis_awready,
    input  wire [511:0] sh_cl_dma_pcis_wdata,
    input  wire [63:0]  sh_cl_dma_pcis_wstrb,
    input  wire         sh_cl_dma_pcis_wlast,
    input  wire         sh_cl_dma_pcis_wvalid,
    output wire         cl_sh_dma_pcis_wready,
    output reg  [5:0]   cl_sh_dma_pcis_bid,
    output reg  [1:0]   cl_sh_dma_pcis_bresp,
    output reg          cl_sh_dma_pcis_bvalid,
    input  wire         sh_cl_dma_pcis_bready,
    input  wire [5:0]   sh_cl_dma_pcis_arid,
    input  wire [63:0]  sh_cl_dma_pcis_araddr,
    input  wire [7:0]   sh_cl_dma_pcis_arlen,
    input  wire [2:0]   sh_cl_dma_pcis_arsize,
    input  wire         sh_cl_dma_pcis_arvalid,
    output wire         cl_sh_dma_pcis_arready,
    output reg  [5:0]   cl_sh_dma_pcis_rid,
    output reg  [511:0] cl_sh_dma_pcis_rdata,
    output reg  [1:0]   cl_sh_dma_pcis_rresp,
    output reg          cl_sh_dma_pcis_rlast,
    output reg          cl_sh_dma_pcis_rvalid,
    input  wire         sh_cl_dma_pcis_rready,

    // User interrupts of the application PF.
    output reg  [15:0]  cl_sh_apppf_irq_req,
    input  wire [15:0]  sh_cl_apppf_irq_ack,

    // PCI IDs for the shell: {device, vendor} and {subsystem, subsystem vendor}.
    output wire [31:0]  cl_sh_id0,
    output wire [31:0]  cl_sh_id1
);
    assign cl_sh_id0 = {PCI_DEVICE_ID, PCI_VENDOR_ID};
    assign cl_sh_id1 = {PCI_SUBSYS_ID, PCI_SUBSYS_VENDOR_ID};

    wire clk = clk_main_a0;

    // Inputs this design does not need: byte offsets of 32-bit register
    // accesses, AWLEN (WLAST ends a burst), the parts of slot numbers and
    // addresses beyond the configured sizes.
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = &{1'b0, sh_ocl_awaddr[1:0], sh_ocl_araddr[1:0],
                       sh_cl_dma_pcis_awlen, sl_pick, sl_num_sel, eg_addr[2:0]};
    /* verilator lint_on UNUSEDSIGNAL */
    localparam MEM_BYTES = 1 << MEM_AW;
    localparam ROWS_AW   = MEM_AW - 6;
    localparam MAXINSN   = (PSSZE / 8 < (1 << IMEM_AW)) ? PSSZE / 8 : (1 << IMEM_AW);

    // ------------------------------------------------------------------
    // Device reset (EHDEVCTL bit 0): hold everything in reset while a sweep
    // zeroes device memory, then let go.  The bit reads 1 meanwhile.
    reg               dev_reset;
    reg               devctl_reset;   // EHDEVCTL bit 0 written 1
    reg  [ROWS_AW:0]  sweep;
    wire              rst_n = rst_main_n && !dev_reset;

    // ------------------------------------------------------------------
    // Engines.
    wire [NENG-1:0]     e_exec, e_done, e_reject, e_irq;
    wire [NENG*128-1:0] e_resp;
    wire [NENG*64-1:0]  e_r0, e_insns, e_time, e_faddr;
    wire [NENG*32-1:0]  e_fpc, e_fault, e_doff, e_dlen, e_iters, e_status;
    wire [NENG*64-1:0]  e_runs, e_cinsns, e_errors, e_busy, e_cycles, e_stalls;
    wire [NENG-1:0]     e_sl_req, e_sl_rel, e_sl_type;
    wire [NENG*8-1:0]   e_sl_num;
    wire [NENG-1:0]     e_mreq, e_mwe;
    wire [NENG*MEM_AW-1:0] e_maddr;
    wire [NENG*64-1:0]  e_mwdata;
    wire [NENG*8-1:0]   e_mwstrb;
    reg  [NENG-1:0]     e_mgnt, e_mrvalid;
    reg  [NENG-1:0]     e_sl_gnt;
    reg  [7:0]          sl_status, sl_slot;

    reg  [NENG-1:0]     h_exec, h_done_clr, h_abort;
    reg  [NENG*256-1:0] h_req;          // EHCMDREQ of each engine
    reg  [NPSLOT-1:0]   pslot_used;
    reg  [NDSLOT-1:0]   dslot_used;
    reg  [63:0]         mem_row_word;   // 64-bit lane for engine reads

    genvar g;
    generate
        for (g = 0; g < NENG; g = g + 1) begin : eng
            hermes_engine #(
                .IMEM_AW(IMEM_AW), .NPSLOT(NPSLOT), .NDSLOT(NDSLOT),
                .PSOFF(PSOFF), .PSSZE(PSSZE), .DSOFF(DSOFF), .DSSZE(DSSZE),
                .MEM_AW(MEM_AW), .NS_PER_CYCLE(NS_PER_CYCLE)
            ) u_eng (
                .clk(clk), .rst_n(rst_n),
                .exec_wr(h_exec[g]), .req_in(h_req[g*256 +: 256]), .done_clr(h_done_clr[g]),
                .abort_wr(h_abort[g]),
                .st_exec(e_exec[g]), .st_done(e_done[g]), .st_reject(e_reject[g]),
                .resp(e_resp[g*128 +: 128]), .irq(e_irq[g]),
                .res_r0(e_r0[g*64 +: 64]), .res_insns(e_insns[g*64 +: 64]),
                .res_time(e_time[g*64 +: 64]), .res_faddr(e_faddr[g*64 +: 64]),
                .res_fpc(e_fpc[g*32 +: 32]), .res_fault(e_fault[g*32 +: 32]),
                .res_doff(e_doff[g*32 +: 32]), .res_dlen(e_dlen[g*32 +: 32]),
                .res_iters(e_iters[g*32 +: 32]), .res_status(e_status[g*32 +: 32]),
                .cnt_runs(e_runs[g*64 +: 64]), .cnt_insns(e_cinsns[g*64 +: 64]),
                .cnt_errors(e_errors[g*64 +: 64]), .cnt_busy(e_busy[g*64 +: 64]),
                .cnt_cycles(e_cycles[g*64 +: 64]), .cnt_stalls(e_stalls[g*64 +: 64]),
                .pslot_used(pslot_used), .dslot_used(dslot_used),
                .sl_req(e_sl_req[g]), .sl_release(e_sl_rel[g]), .sl_type(e_sl_type[g]),
                .sl_num(e_sl_num[g*8 +: 8]), .sl_gnt(e_sl_gnt[g]),
                .sl_status(sl_status), .sl_slot(sl_slot),
                .mem_req(e_mreq[g]), .mem_we(e_mwe[g]), .mem_addr(e_maddr[g*MEM_AW +: MEM_AW]),
                .mem_wdata(e_mwdata[g*64 +: 64]), .mem_wstrb(e_mwstrb[g*8 +: 8]),
                .mem_gnt(e_mgnt[g]), .mem_rvalid(e_mrvalid[g]), .mem_rdata(mem_row_word)
            );
        end
    endgenerate

    // ------------------------------------------------------------------
    // Slot manager: serves the lowest-numbered requesting engine.
    function automatic [7:0] first_zero_p(input [NPSLOT-1:0] m);
        integer k;
        begin
            first_zero_p = 8'hff;
            for (k = NPSLOT - 1; k >= 0; k = k - 1)
                if (!m[k]) first_zero_p = k[7:0];
        end
    endfunction
    function automatic [7:0] first_zero_d(input [NDSLOT-1:0] m);
        integer k;
        begin
            first_zero_d = 8'hff;
            for (k = NDSLOT - 1; k >= 0; k = k - 1)
                if (!m[k]) first_zero_d = k[7:0];
        end
    endfunction

    integer se;
    reg sl_found;
    reg [7:0] sl_pick;
    always @(*) begin
        e_sl_gnt  = {NENG{1'b0}};
        sl_status = 8'h00;
        sl_slot   = 8'h00;
        sl_found  = 1'b0;
        sl_pick   = 8'd0;
        for (se = 0; se < NENG; se = se + 1) begin
            if (e_sl_req[se] && !sl_found) begin
                sl_found = 1'b1;
                sl_pick  = se[7:0];
            end
        end
        if (sl_found) begin
            e_sl_gnt[sl_pick[$clog2(NENG > 1 ? NENG : 2)-1:0]] = 1'b1;
            if (!e_sl_rel[sl_pick[$clog2(NENG > 1 ? NENG : 2)-1:0]]) begin
                sl_slot = e_sl_type[sl_pick[$clog2(NENG > 1 ? NENG : 2)-1:0]]
                          ? first_zero_d(dslot_used) : first_zero_p(pslot_used);
                sl_status = (sl_slot == 8'hff) ? 8'h01 : 8'h00;  // NO_SPACE
            end
        end
    end

    wire [$clog2(NENG > 1 ? NENG : 2)-1:0] sl_idx = sl_pick[$clog2(NENG > 1 ? NENG : 2)-1:0];
    wire [7:0] sl_num_sel = e_sl_num[sl_idx*8 +: 8];
    always @(posedge clk) begin
        if (!rst_n) begin
            pslot_used <= {NPSLOT{1'b0}};
            dslot_used <= {NDSLOT{1'b0}};
        end else if (sl_found) begin
            // Release was checked by the engine; allocate takes sl_slot.
            if (e_sl_rel[sl_idx]) begin
                if (e_sl_type[sl_idx])
                    dslot_used[sl_num_sel[$clog2(NDSLOT)-1:0]] <= 1'b0;
                else
                    pslot_used[sl_num_sel[$clog2(NPSLOT)-1:0]] <= 1'b0;
            end else if (sl_status == 8'h00) begin
                if (e_sl_type[sl_idx])
                    dslot_used[sl_slot[$clog2(NDSLOT)-1:0]] <= 1'b1;
                else
                    pslot_used[sl_slot[$clog2(NPSLOT)-1:0]] <= 1'b1;
            end
        end
    end

    // ------------------------------------------------------------------
    // Device memory: one RAM, 64-byte rows, byte enables, registered read.
    reg  [511:0] mem [0:(1 << ROWS_AW) - 1];
    reg  [511:0] mem_q;
    reg          m_en, m_we;
    reg  [ROWS_AW-1:0] m_row;
    reg  [511:0] m_wdata;
    reg  [63:0]  m_wstrb;
    integer mb;
    always @(posedge clk) begin
        if (m_en) begin
            if (m_we) begin
                for (mb = 0; mb < 64; mb = mb + 1)
                    if (m_wstrb[mb])
                        mem[m_row][8*mb +: 8] <= m_wdata[8*mb +: 8];
            end
            mem_q <= mem[m_row];
        end
    end

    // DMA write channel.
    reg         dw_active;
    reg  [63:0] dw_addr;
    reg  [2:0]  dw_size;
    reg  [5:0]  dw_id;
    reg         dw_err;
    assign cl_sh_dma_pcis_awready = rst_n && !dw_active && !cl_sh_dma_pcis_bvalid;
    assign cl_sh_dma_pcis_wready  = rst_n && dw_active;
    wire dw_beat   = dw_active && sh_cl_dma_pcis_wvalid;
    wire dw_in_mem = (dw_addr < MEM_BYTES);

    // DMA read channel: one beat at a time, issue, data, hand over.
    reg         dr_active, dr_issued;
    reg  [63:0] dr_addr;
    reg  [2:0]  dr_size;
    reg  [8:0]  dr_left;
    reg  [5:0]  dr_id;
    assign cl_sh_dma_pcis_arready = rst_n && !dr_active;
    wire dr_issue = dr_active && !dr_issued && !cl_sh_dma_pcis_rvalid && !dw_beat;

    // Engine round robin.
    localparam EW = $clog2(NENG > 1 ? NENG : 2);
    reg  [EW-1:0] rr;             // engine served first next time
    reg           eg_any;
    reg  [EW-1:0] eg_idx;
    integer k, cand;
    always @(*) begin
        eg_any = 1'b0;
        eg_idx = rr;
        for (k = NENG - 1; k >= 0; k = k - 1) begin
            cand = {{(32-EW){1'b0}}, rr} + k;
            if (cand >= NENG) cand = cand - NENG;
            if (e_mreq[cand]) begin
                eg_any = 1'b1;
                eg_idx = cand[EW-1:0];
            end
        end
    end
    wire engine_slot = !dev_reset && !dw_beat && !dr_issue && eg_any;
    wire [MEM_AW-1:0] eg_addr = e_maddr[eg_idx*MEM_AW +: MEM_AW];

    always @(*) begin
        m_en    = 1'b0;
        m_we    = 1'b0;
        m_row   = {ROWS_AW{1'b0}};
        m_wdata = sh_cl_dma_pcis_wdata;
        m_wstrb = sh_cl_dma_pcis_wstrb;
        e_mgnt  = {NENG{1'b0}};
        if (dev_reset) begin
            m_en    = !sweep[ROWS_AW];
            m_we    = 1'b1;
            m_row   = sweep[ROWS_AW-1:0];
            m_wdata = 512'd0;
            m_wstrb = {64{1'b1}};
        end else if (dw_beat) begin
            m_en  = dw_in_mem;
            m_we  = 1'b1;
            m_row = dw_addr[MEM_AW-1:6];
        end else if (dr_issue) begin
            m_en  = 1'b1;
            m_row = dr_addr[MEM_AW-1:6];
        end else if (engine_slot) begin
            m_en    = 1'b1;
            m_we    = e_mwe[eg_idx];
            m_row   = eg_addr[MEM_AW-1:6];
            m_wdata = {8{e_mwdata[eg_idx*64 +: 64]}};
            m_wstrb = {56'd0, e_mwstrb[eg_idx*8 +: 8]} << {eg_addr[5:3], 3'b000};
            e_mgnt[eg_idx] = 1'b1;
        end
    end

    // Read data routing: who was granted a read last cycle.
    reg  [NENG-1:0] rd_owner;
    reg  [2:0]      rd_lane;
    reg             dr_wait;
    always @(*) begin
        e_mrvalid    = rd_owner;
        mem_row_word = mem_q[{rd_lane, 6'd0} +: 64];
    end

    always @(posedge clk) begin
        if (!rst_main_n) begin
            dev_reset <= 1'b0;
            sweep     <= {(ROWS_AW + 1){1'b0}};
        end else if (dev_reset) begin
            sweep <= sweep + 1'b1;
            if (sweep[ROWS_AW])
                dev_reset <= 1'b0;
        end else if (devctl_reset) begin
            dev_reset <= 1'b1;
            sweep     <= {(ROWS_AW + 1){1'b0}};
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            dw_active <= 1'b0; dw_addr <= 64'd0; dw_size <= 3'd0; dw_id <= 6'd0;
            dw_err <= 1'b0;
            cl_sh_dma_pcis_bvalid <= 1'b0; cl_sh_dma_pcis_bid <= 6'd0;
            cl_sh_dma_pcis_bresp <= 2'd0;
            dr_active <= 1'b0; dr_issued <= 1'b0; dr_addr <= 64'd0;
            dr_size <= 3'd0; dr_left <= 9'd0; dr_id <= 6'd0; dr_wait <= 1'b0;
            cl_sh_dma_pcis_rvalid <= 1'b0; cl_sh_dma_pcis_rdata <= 512'd0;
            cl_sh_dma_pcis_rid <= 6'd0; cl_sh_dma_pcis_rresp <= 2'd0;
            cl_sh_dma_pcis_rlast <= 1'b0;
            rd_owner <= {NENG{1'b0}}; rd_lane <= 3'd0; rr <= {EW{1'b0}};
        end else begin
            // Writes: address, beats, response.  Beats outside the memory
            // are dropped and the burst answers SLVERR.
            if (cl_sh_dma_pcis_awready && sh_cl_dma_pcis_awvalid) begin
                dw_active <= 1'b1;
                dw_addr   <= sh_cl_dma_pcis_awaddr;
                dw_size   <= sh_cl_dma_pcis_awsize;
                dw_id     <= sh_cl_dma_pcis_awid;
                dw_err    <= 1'b0;
            end
            if (dw_beat) begin
                dw_addr <= dw_addr + (64'd1 << dw_size);
                if (!dw_in_mem)
                    dw_err <= 1'b1;
                if (sh_cl_dma_pcis_wlast) begin
                    dw_active <= 1'b0;
                    cl_sh_dma_pcis_bvalid <= 1'b1;
                    cl_sh_dma_pcis_bid    <= dw_id;
                    cl_sh_dma_pcis_bresp  <= (dw_err || !dw_in_mem) ? 2'b10 : 2'b00;
                end
            end
            if (cl_sh_dma_pcis_bvalid && sh_cl_dma_pcis_bready)
                cl_sh_dma_pcis_bvalid <= 1'b0;

            // Reads.
            if (cl_sh_dma_pcis_arready && sh_cl_dma_pcis_arvalid) begin
                dr_active <= 1'b1;
                dr_issued <= 1'b0;
                dr_addr   <= sh_cl_dma_pcis_araddr;
                dr_size   <= sh_cl_dma_pcis_arsize;
                dr_left   <= {1'b0, sh_cl_dma_pcis_arlen} + 9'd1;
                dr_id     <= sh_cl_dma_pcis_arid;
            end
            dr_wait <= dr_issue;
            if (dr_issue)
                dr_issued <= 1'b1;
            if (dr_wait) begin
                cl_sh_dma_pcis_rvalid <= 1'b1;
                cl_sh_dma_pcis_rdata  <= (dr_addr < MEM_BYTES) ? mem_q : 512'd0;
                cl_sh_dma_pcis_rresp  <= (dr_addr < MEM_BYTES) ? 2'b00 : 2'b10;
                cl_sh_dma_pcis_rid    <= dr_id;
                cl_sh_dma_pcis_rlast  <= (dr_left == 9'd1);
            end
            if (cl_sh_dma_pcis_rvalid && sh_cl_dma_pcis_rready) begin
                cl_sh_dma_pcis_rvalid <= 1'b0;
                dr_issued <= 1'b0;
                dr_addr   <= dr_addr + (64'd1 << dr_size);
                dr_left   <= dr_left - 9'd1;
                if (dr_left == 9'd1)
                    dr_active <= 1'b0;
            end

            // Engine reads come back next cycle, on the granted lane.
            rd_owner <= engine_slot && !e_mwe[eg_idx] ? e_mgnt : {NENG{1'b0}};
            rd_lane  <= eg_addr[5:3];
            if (engine_slot)
                rr <= ({{(32-EW){1'b0}}, eg_idx} == NENG - 1) ? {EW{1'b0}} : eg_idx + 1'b1;
        end
    end

    // ------------------------------------------------------------------
    // BAR0 over AXI-Lite: a write takes address and data together, a read
    // answers the cycle after its address.
    localparam [31:0] ISA_CAPS = 32'h0000_0b04;  // v4, ATOMIC, DIVMOD, LOCALCALL

    wire        wr_fire = !ocl_sh_bvalid && sh_ocl_awvalid && sh_ocl_wvalid;
    assign ocl_sh_awready = wr_fire;
    assign ocl_sh_wready  = wr_fire;
    assign ocl_sh_arready = !ocl_sh_rvalid;
    wire [15:0] waddr = {sh_ocl_awaddr[15:2], 2'b00};
    wire        whigh = (sh_ocl_awaddr[31:16] != 16'd0);

    // "hermes-rtl" build string, 48 bytes NUL padded, read 4 at a time.
    function [31:0] bld_word(input [3:0] i);
        case (i)
            4'd0: bld_word = 32'h6d726568;   // "herm"
            4'd1: bld_word = 32'h722d7365;   // "es-r"
            4'd2: bld_word = 32'h00006c74;   // "tl"
            default: bld_word = 32'd0;
        endcase
    endfunction

    function [31:0] half(input [63:0] v, input hi);
        half = hi ? v[63:32] : v[31:0];
    endfunction

    // Per-engine registers, decoded in a generate block below.
    wire [31:0]        ra = {16'd0, sh_ocl_araddr[15:2], 2'b00};
    wire [NENG*32-1:0] eng_rd;

    reg [31:0] rdata;
    integer re;
    always @(*) begin
        rdata = 32'd0;
        if (sh_ocl_araddr[31:16] == 16'd0) begin
            case (ra)
                32'h0000: rdata = 32'd2;
                32'h0034: rdata = {8'd0, NDSLOT[7:0], NPSLOT[7:0], NENG[7:0]};
                32'h0038: rdata = PSOFF;
                32'h003c: rdata = PSSZE;
                32'h0040: rdata = DSOFF;
                32'h0044: rdata = DSSZE;
                32'h0050: rdata = PSOFF;
                32'h0058: rdata = DSOFF;
                32'h0060: rdata = MEM_BYTES;
                32'h0080: rdata = {31'd0, dev_reset};
                32'h0100: rdata = 32'h534d5248;
                32'h0104: rdata = ISA_CAPS;
                32'h0108: rdata = 32'd512;
                32'h010c: rdata = 32'd8;
                32'h0110: rdata = MAXINSN;
                32'h0114: rdata = 32'h0100_0000;
                32'h0118: rdata = 32'hffff_ffff;
                32'h011c: rdata = 32'h0000_0003;
                default: begin
                    if (ra >= 32'h0004 && ra < 32'h0034)
                        rdata = bld_word(ra[5:2] - 4'd1);
                end
            endcase
            for (re = 0; re < NENG; re = re + 1)
                rdata = rdata | eng_rd[re*32 +: 32];
        end
    end

    // The AXI-Lite side only sees the shell's reset: EHDEVCTL must stay
    // readable while a device reset is in progress.
    integer we;
    always @(posedge clk) begin
        if (!rst_main_n) begin
            ocl_sh_bvalid <= 1'b0;
            ocl_sh_bresp  <= 2'b00;
            ocl_sh_rvalid <= 1'b0;
            ocl_sh_rdata  <= 32'd0;
            ocl_sh_rresp  <= 2'b00;
            h_exec        <= {NENG{1'b0}};
            h_done_clr    <= {NENG{1'b0}};
            h_abort       <= {NENG{1'b0}};
            devctl_reset  <= 1'b0;
        end else begin
            h_exec       <= {NENG{1'b0}};
            h_done_clr   <= {NENG{1'b0}};
            h_abort      <= {NENG{1'b0}};
            devctl_reset <= 1'b0;
            if (wr_fire) begin
                ocl_sh_bvalid <= 1'b1;
                ocl_sh_bresp  <= 2'b00;
                if (!whigh && waddr == 16'h0080 && sh_ocl_wstrb[0] && sh_ocl_wdata[0])
                    devctl_reset <= 1'b1;
                for (we = 0; we < NENG; we = we + 1) begin
                    if (!whigh && {16'd0, waddr} == 32'h2000 + 8 * we) begin
                        // Applied in the order DONE, EXEC, ABORT.
                        h_done_clr[we] <= sh_ocl_wstrb[1] && sh_ocl_wdata[15:8] == 8'd0;
                        h_exec[we]     <= sh_ocl_wstrb[0] && sh_ocl_wdata[7:0] != 8'd0;
                        h_abort[we]    <= sh_ocl_wstrb[3] && sh_ocl_wdata[31:24] != 8'd0;
                    end
                end
            end
            if (ocl_sh_bvalid && sh_ocl_bready)
                ocl_sh_bvalid <= 1'b0;
            if (ocl_sh_arready && sh_ocl_arvalid) begin
                ocl_sh_rvalid <= 1'b1;
                ocl_sh_rdata  <= rdata;
                ocl_sh_rresp  <= 2'b00;
            end else if (ocl_sh_rvalid && sh_ocl_rready) begin
                ocl_sh_rvalid <= 1'b0;
            end
        end
    end

    generate
        for (g = 0; g < NENG; g = g + 1) begin : regs
            localparam [31:0] REQ = 32'h1000 + 48 * g;
            localparam [31:0] RES = 32'h1020 + 48 * g;
            localparam [31:0] CTL = 32'h2000 + 8 * g;
            localparam [31:0] BLK = 32'h3000 + 128 * g;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [31:0] oreq = ra - REQ;
            wire [31:0] ores = ra - RES;
            wire [31:0] oblk = ra - BLK;
            wire [31:0] wreq = {16'd0, waddr} - REQ;
            /* verilator lint_on UNUSEDSIGNAL */
            wire [127:0] rsp = e_resp[g*128 +: 128];
            reg  [31:0] v;
            always @(*) begin
                v = 32'd0;
                if (ra >= REQ && ra < REQ + 32)
                    v = h_req[g*256 + {24'd0, oreq[4:2], 5'd0} +: 32];
                if (ra >= RES && ra < RES + 16)
                    v = rsp[{ores[3:2], 5'd0} +: 32];
                if (ra == CTL)
                    v = {15'd0, e_reject[g], 7'd0, e_done[g], 7'd0, e_exec[g]};
                if (ra >= BLK && ra < BLK + 128) begin
                    case (oblk[6:2])
                        5'h00, 5'h01: v = half(e_r0[g*64 +: 64], oblk[2]);
                        5'h02, 5'h03: v = half(e_insns[g*64 +: 64], oblk[2]);
                        5'h04, 5'h05: v = half(e_time[g*64 +: 64], oblk[2]);
                        5'h06, 5'h07: v = half(e_faddr[g*64 +: 64], oblk[2]);
                        5'h08: v = e_fpc[g*32 +: 32];
                        5'h09: v = e_fault[g*32 +: 32];
                        5'h0a: v = e_doff[g*32 +: 32];
                        5'h0b: v = e_dlen[g*32 +: 32];
                        5'h0c: v = e_iters[g*32 +: 32];
                        5'h0d: v = e_status[g*32 +: 32];
                        // RES_MLEN: no helpers, so never any metadata
                        5'h0e: v = 32'd0;
                        5'h10, 5'h11: v = half(e_runs[g*64 +: 64], oblk[2]);
                        5'h12, 5'h13: v = half(e_cinsns[g*64 +: 64], oblk[2]);
                        5'h14, 5'h15: v = half(e_errors[g*64 +: 64], oblk[2]);
                        5'h16, 5'h17: v = half(e_busy[g*64 +: 64], oblk[2]);
                        // RTL extension in the reserved area: the core's
                        // cycle and stall counters.
                        5'h18, 5'h19: v = half(e_cycles[g*64 +: 64], oblk[2]);
                        5'h1a, 5'h1b: v = half(e_stalls[g*64 +: 64], oblk[2]);
                        default: v = 32'd0;
                    endcase
                end
            end
            assign eng_rd[g*32 +: 32] = v;

            // EHCMDREQ writes, byte lanes as WSTRB says.
            integer wb;
            always @(posedge clk) begin
                if (!rst_n)
                    h_req[g*256 +: 256] <= 256'd0;
                else if (wr_fire && !whigh && {16'd0, waddr} >= REQ &&
                         {16'd0, waddr} < REQ + 32) begin
                    for (wb = 0; wb < 4; wb = wb + 1)
                        if (sh_ocl_wstrb[wb])
                            h_req[g*256 + {24'd0, wreq[4:2], 5'd0} + wb * 8 +: 8]
                                <= sh_ocl_wdata[wb*8 +: 8];
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Interrupts: one request pulse per completion; a bit waits for its
    // acknowledge before it is requested again (shell protocol), and a
    // completion in between is remembered.
    reg  [15:0] irq_pend, irq_out;
    /* verilator lint_off WIDTH */
    wire [15:0] irq_src = e_irq;     // engines beyond NENG never interrupt
    /* verilator lint_on WIDTH */
    integer ie;
    always @(posedge clk) begin
        if (!rst_n) begin
            irq_pend <= 16'd0;
            irq_out  <= 16'd0;
            cl_sh_apppf_irq_req <= 16'd0;
        end else begin
            cl_sh_apppf_irq_req <= 16'd0;
            for (ie = 0; ie < 16; ie = ie + 1) begin
                if (irq_pend[ie] && !irq_out[ie]) begin
                    cl_sh_apppf_irq_req[ie] <= 1'b1;
                    irq_out[ie]  <= 1'b1;
                    irq_pend[ie] <= irq_src[ie];
                end else if (irq_src[ie]) begin
                    irq_pend[ie] <= 1'b1;
                end
                if (sh_cl_apppf_irq_ack[ie])
                    irq_out[ie] <= 1'b0;
            end
        end
    end

    // ------------------------------------------------------------------
    // Simulation only (rtl/sim/f1_sim_main.cpp): something is in flight
    // without the host driving a port -- a command from EXEC to its
    // interrupt, a device reset sweep, an interrupt waiting for its
    // acknowledge -- so the co-simulator must keep the clock running.
    // Nothing in the design reads it; synthesis removes it.
    /* verilator lint_off UNUSEDSIGNAL */
    wire sim_busy /* verilator public_flat_rd */ =
        (|h_exec) | (|e_exec) | (|e_irq) | devctl_reset | dev_reset |
        (|irq_pend) | (|irq_out);
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
